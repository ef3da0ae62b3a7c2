"""Ship the course inside the wheel: exercises/, solutions/ and the mutants and alternatives that
`kata dev check` uses are copied to grader/course/, where an installed kata finds them
(grader/course.py). A source checkout and an editable install read them in place."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

COURSE_DIRS = {"exercises": "exercises", "solutions": "solutions",
               "tests/mutants": "tests/mutants", "tests/alternatives": "tests/alternatives"}


class BuildPyWithCourse(build_py):
    def run(self):
        super().run()
        if self.editable_mode:
            return
        here = Path(__file__).parent
        target = Path(self.build_lib) / "grader" / "course"
        for source, dest in COURSE_DIRS.items():
            shutil.copytree(here / source, target / dest, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithCourse})
