"""Process exit codes (after OCRmyPDF's ``ExitCode``): scripts can tell what went wrong."""

from enum import IntEnum


class ExitCode(IntEnum):
    ok = 0
    bad_args = 2
    input_file = 4  # some input files or pages could not be used (see the lines printed)
    already_running = 5
    engine_error = 6  # the OCR engine cannot run (install problem)
    not_found = 7
    other_error = 15
