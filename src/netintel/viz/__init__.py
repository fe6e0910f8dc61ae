"""Charts for briefings. Every chart function returns a matplotlib Figure."""

from .explore import LinkExplorer, explore
from .style import briefing_figure, finish, save

__all__ = ["briefing_figure", "finish", "save", "explore", "LinkExplorer"]
