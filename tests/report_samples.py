"""GradeReport objects built by hand, for the renderer tests (fast: nothing is graded)."""
from __future__ import annotations

from grader.results import CheckResult, ExerciseResult, GradeReport

# A training check's curves: the learner's losses and the reference's, as record_curve sends them.
YOURS = (2.3, 1.9, 1.4, 1.1, 0.9, 0.85, 0.8)
REFERENCE = (2.3, 1.8, 1.2, 0.8, 0.6, 0.5, 0.45)


def sample_report() -> GradeReport:
    return GradeReport(
        exercises=(
            ExerciseResult("autograd_basics", "Autograd basics", "exercises/01_autograd/autograd_basics.py",
                           checks=(CheckResult("derivative", "passed", 1, duration_s=0.01),
                                   CheckResult("gradient", "passed", 2, duration_s=0.02)),
                           duration_s=0.5),
            ExerciseResult("losses", "Loss functions <from> tensor | ops", "exercises/03_losses/losses.py",
                           checks=(CheckResult("mse", "passed", 1),
                                   CheckResult("cross_entropy", "failed", 2,
                                               "cross_entropy(logits, y) is 2.31, expected 1.05.\n"
                                               "Did you forget the log-softmax? `*not* averaged`", line=17),
                                   CheckResult("on_gpu", "skipped", 1, "needs GPU")),
                           output="epoch 1\n<script>alert(1)</script>\n", duration_s=1.25),
            ExerciseResult("conv2d", "2-D convolution", "exercises/04_conv/conv2d.py",
                           checks=(CheckResult("shape", "error", 1, "exercises/04_conv/conv2d.py does not compile:\n"
                                               "  File \"exercises/04_conv/conv2d.py\", line 4\nSyntaxError: expected ':'",
                                               line=4),),
                           message="exercises/04_conv/conv2d.py does not compile:\n"
                                   "  File \"exercises/04_conv/conv2d.py\", line 4\nSyntaxError: expected ':'",
                           fault="error"),
            ExerciseResult("pooling", "Max and min pooling", "exercises/04_conv/pooling.py",
                           checks=(CheckResult("max_pool", "failed", 1, "Not implemented yet: max_pool (line 9)",
                                               not_implemented=True, line=9),
                                   CheckResult("min_pool", "failed", 0.5, "Not implemented yet: min_pool (line 20)",
                                               not_implemented=True, line=20))),
            ExerciseResult("train_cnn", "Training a small CNN", "exercises/06_training/train_cnn.py",
                           checks=(CheckResult("loss_goes_down", "passed", 2,
                                               curves=(("yours", YOURS), ("reference", REFERENCE))),
                                   CheckResult("accuracy", "failed", 1.5, "accuracy 0.62, expected at least 0.8", line=42)),
                           duration_s=12.0),
            ExerciseResult("finetune_resnet18", "Fine-tuning ResNet18", "exercises/06_training/finetune_resnet18.py",
                           checks=(CheckResult("converges", "failed", 3, ""),),
                           message="Timed out after 30 s in check 'converges'.", fault="timeout"),
            ExerciseResult("boxes", "Boxes and IoU", "exercises/07_detection/boxes.py",
                           skipped_reason="needs torchvision"),
        ),
        started_at="2025-01-02T03:04:05+0000", duration_s=15.5,
        environment={"python": "3.11.7", "numpy": "2.0.0", "torch": "2.5.0", "device": "cpu", "gpu": None},
        kata_version="0.1.0",
    )


def expected_totals() -> tuple[float, float]:
    """(score, max_score) of sample_report(), counted by hand."""
    # autograd 3/3, losses 1/3 (gpu skipped), conv2d 0/1, pooling 0/1.5, train_cnn 2/3.5,
    # finetune 0/3, boxes 0/0
    return 6.0, 15.0
