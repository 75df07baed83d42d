"""Shared by the llama.cpp scripts: capture what llama.cpp logs on fd 2."""
import contextlib
import os
import tempfile


@contextlib.contextmanager
def captured_stderr():
    """Capture fd 2 (llama.cpp logs there) into a list of lines."""
    out: list[str] = []
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        saved = os.dup(2)
        os.dup2(tmp.fileno(), 2)
        try:
            yield out
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            out.extend(tmp.read().decode("utf-8", "replace").splitlines())
