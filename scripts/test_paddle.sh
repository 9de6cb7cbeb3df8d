#!/usr/bin/env bash
# The optional PaddleOCR engine, tested in its own environment: paddleocr needs the
# distribution opencv-contrib-python, which would overwrite the project's
# opencv-python-headless (both are the `cv2` module), so it cannot share .venv.
# PaddleOCR runs the PP-OCRv6 ONNX models from the rapidocr wheel (engine="onnxruntime"):
# no paddlepaddle, nothing downloaded at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [[ ! -x .venv-paddle/bin/python ]]; then
    "$PY" -m venv .venv-paddle
fi
stamp=.venv-paddle/.installed-v1
if [[ ! -f "$stamp" ]]; then
    .venv-paddle/bin/pip install -q --upgrade pip
    .venv-paddle/bin/pip install -q "paddleocr>=3.0" "rapidocr>=3.4,<4" onnxruntime pytest pytest-timeout
    touch "$stamp"
fi
PYTHONPATH="$PWD" .venv-paddle/bin/python -m pytest -q -p no:cacheprovider \
    tests/integration/test_paddle_engine.py "$@"
