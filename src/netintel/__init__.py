"""netintel: cross-border criminal network intelligence for analysts in Jupyter."""

from .errors import InputError, MappingError, NetintelError, SchemaError, WorkspaceError
from .workspace import Workspace

__version__ = "0.1.0"

__all__ = ["Workspace", "NetintelError", "InputError", "MappingError", "SchemaError", "WorkspaceError", "__version__"]
