"""netintel: cross-border criminal network intelligence for analysts in Jupyter."""

from .errors import InputError, MappingError, NetintelError, SchemaError, WorkspaceError
from .workspace import Workspace

__version__ = "0.1.0"

__all__ = ["Workspace", "NetintelError", "InputError", "MappingError", "SchemaError", "WorkspaceError", "search",
           "__version__"]


def __getattr__(name: str):
    # imported on first use, so that ``import netintel`` stays light
    if name == "search":
        from .search import search

        return search
    raise AttributeError(f"module 'netintel' has no attribute {name!r}")
