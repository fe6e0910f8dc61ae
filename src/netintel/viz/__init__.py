"""Charts for briefings. Every chart function returns a matplotlib Figure."""

from .analysis import key_players_chart, plot_disruption
from .explore import LinkExplorer, explore
from .style import briefing_figure, finish, save

__all__ = ["briefing_figure", "finish", "save", "key_players_chart", "plot_disruption", "explore", "LinkExplorer"]
