"""Importing Gradio without its editor stubs: half of the app's start-up on this machine.

On every import Gradio rewrites a typing stub (.pyi) beside each of its ~80 component classes: it reads
the class's source file, parses it with `ast`, renders a Jinja template and compares the result with the
stub on disk (`gradio.component_meta.create_or_modify_pyi`, called from the components' metaclass). The
stubs serve editors, never the running app, and in an installed Gradio they are already there. Measured
here (2 cores): `import gradio` 5.6-6.5 s with the step, 2.5-3.1 s without it.

`skip_stub_writing()` installs an import hook that replaces that one function by a no-op as
`gradio.component_meta` is loaded, before any component class is made. Call it before the first
`import gradio`; if Gradio is already imported, or a later Gradio drops the function, it changes nothing.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import sys

STUB_MODULE = "gradio.component_meta"
STUB_WRITER = "create_or_modify_pyi"


class _SkipStubs(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != STUB_MODULE:
            return None
        sys.meta_path.remove(self)  # one module, once: let the normal finders locate it
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        run_module = spec.loader.exec_module

        def exec_module(module):
            run_module(module)
            if hasattr(module, STUB_WRITER):
                setattr(module, STUB_WRITER, _write_no_stub)

        spec.loader.exec_module = exec_module
        return spec


def _write_no_stub(*args, **kwargs) -> None:
    return None


def skip_stub_writing() -> None:
    """Make the coming `import gradio` skip rewriting its component stubs (see the module's doc)."""
    if STUB_MODULE in sys.modules or any(isinstance(finder, _SkipStubs) for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, _SkipStubs())
