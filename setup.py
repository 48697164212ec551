"""Builds Shoal's native kernel libraries; everything else is in pyproject.toml.

The libraries are plain C (no Python API) loaded with ctypes: no JIT warm-up, no
compile on first use, and nothing to install beyond a C compiler at build time.
"""

from setuptools import Extension, setup

# No fused multiply-add: IoUs must round exactly as pycocotools computes them.
# -pthread: the kernels split their work across POSIX threads.
FLAGS = [
    "-O3", "-std=c11", "-pthread", "-ffp-contract=off", "-Wall", "-Wextra",
    "-Werror=implicit-function-declaration",
]  # fmt: skip
LINK_FLAGS = ["-pthread"]

setup(
    ext_modules=[
        Extension(
            "shoal.engine.detection._native",
            sources=["src/shoal/engine/detection/_native.c"],
            depends=["src/shoal/engine/_threads.h"],
            extra_compile_args=FLAGS,
            extra_link_args=LINK_FLAGS,
        ),
        Extension(
            "shoal.engine.detection._tide_native",
            sources=["src/shoal/engine/detection/_tide_native.c"],
            extra_compile_args=FLAGS,
            extra_link_args=LINK_FLAGS,
        ),
        Extension(
            "shoal.engine.keypoints._native",
            sources=["src/shoal/engine/keypoints/_native.c"],
            depends=["src/shoal/engine/_threads.h"],
            extra_compile_args=FLAGS,
            extra_link_args=LINK_FLAGS,
        ),
        Extension(
            "shoal.engine.masks._native",
            sources=["src/shoal/engine/masks/_native.c"],
            depends=["src/shoal/engine/_threads.h"],
            extra_compile_args=FLAGS,
            extra_link_args=LINK_FLAGS,
        ),
        Extension(
            "shoal.formats._native",
            sources=["src/shoal/formats/_native.c"],
            extra_compile_args=FLAGS,
            extra_link_args=LINK_FLAGS,
        ),
    ]
)
