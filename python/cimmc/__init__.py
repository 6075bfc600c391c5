"""cimmc in Python: plots of study results (``python3 -m cimmc.plot``) and, when the extension
``cimmc._core`` is built (CMake option ``CIMMC_WITH_PYTHON``), the C++ library's device models,
switching probability, readouts and noise, the crossbar GEMM and the study runner
(python/README.md).

``import cimmc`` works without the extension (the plot module needs only numpy, h5py and
matplotlib); ``cimmc.HAVE_CORE`` says whether it was found, and the names below are then absent.
"""

from pkgutil import extend_path

# The extension is built into <build>/python/cimmc/ while this file is in the source tree:
# PYTHONPATH=<source>/python:<build>/python finds both as one package.
__path__ = extend_path(__path__, __name__)

try:
    from . import _core
except ImportError as _error:  # not built, or built for another interpreter
    HAVE_CORE = False
    CORE_IMPORT_ERROR = str(_error)
else:
    HAVE_CORE = True
    CORE_IMPORT_ERROR = None
    from ._core import *  # noqa: F401,F403
    from ._core import __version__  # noqa: F401

    __all__ = [name for name in dir(_core) if not name.startswith("_")]
