"""The deep-learning course that ships with kata, declared like any other course: kata's own
entry point in the group `kata.courses` names LAYOUT.

In a source checkout (and an editable install) the course keeps the repository's top-level
layout; a wheel carries the same files under grader/course/ (setup.py puts them there).
"""
from importlib.resources import files

from .course import Layout

_IN_WHEEL = files("grader").joinpath("course", "exercises", "manifest.toml").is_file()

LAYOUT = (Layout("grader", exercises="course/exercises", solutions="course/solutions", checks="checks",
                 mutants="course/tests/mutants", alternatives="course/tests/alternatives") if _IN_WHEEL else
          Layout("grader", exercises="../exercises", solutions="../solutions", checks="checks",
                 mutants="../tests/mutants", alternatives="../tests/alternatives"))
