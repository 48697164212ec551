"""Three real demo projects, built offline and deterministically.

``digits`` (classification): scikit-learn's bundled handwritten digits as 64x64 PNG
frames, with a logistic regression on 4x4 thumbnails and a small MLP as the two models.
``shapes`` (detection): rendered scenes of circles, squares, triangles and crosses with
clutter and occlusion, and two classical connected-component detectors.
``tagged-digits`` (multi-label): 2x2 grids of those digits, each frame's classes the
digits it shows, scored by two per-tile classifiers. See docs/demo.md.

The same store and ``scale`` always give the same tables.
"""

from __future__ import annotations

import contextlib

from shoal.demo import _digits, _shapes, _tagged_digits
from shoal.demo._progress import Progress, StepCounter
from shoal.errors import InputError
from shoal.store import Project, Store

__all__ = ["DEMO_PROJECT_NAMES", "build_demo_projects"]

DEMO_PROJECT_NAMES = (_digits.PROJECT_NAME, _shapes.PROJECT_NAME, _tagged_digits.PROJECT_NAME)


def build_demo_projects(
    store: Store, *, progress: Progress | None = None, scale: float = 1.0
) -> list[Project]:
    """Create the ``digits``, ``shapes`` and ``tagged-digits`` projects in ``store``,
    replacing projects of those names, with images under ``<home>/demo/<project>/images/``.

    ``scale`` shrinks (or grows) the datasets: 1.0 is all 1,797 digits, 300 scenes and
    400 digit grids.
    ``progress(done, total)`` is called as build steps finish. Each dataset ends with
    its quality metrics computed (docs/quality.md), so every face can use them.
    """
    if not scale > 0:
        raise InputError(f"scale must be positive, got {scale!r}")
    steps = StepCounter(
        _digits.BUILD_STEPS
        + _shapes.BUILD_STEPS
        + _tagged_digits.BUILD_STEPS
        + len(DEMO_PROJECT_NAMES),
        progress,
    )
    demo_folder = store.home.path / "demo"
    for name in DEMO_PROJECT_NAMES:
        with contextlib.suppress(InputError):  # no such project yet
            store.delete_project(name)
    # tagged-digits first: the single-label projects' inference sets stay the most
    # recently written, the ones a server's --preload warms.
    tagged = _tagged_digits.build_tagged_digits(
        store, demo_folder / "tagged-digits" / "images", steps, scale
    )
    projects = [
        _digits.build_digits(store, demo_folder / "digits" / "images", steps, scale),
        _shapes.build_shapes(store, demo_folder / "shapes" / "images", steps, scale),
        tagged,
    ]
    for project in projects:
        for dataset in project.datasets():
            dataset.compute_quality()
        steps.step()
    return projects
