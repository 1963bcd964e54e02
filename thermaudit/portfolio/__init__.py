"""Many enterprises' assessments: the portfolio store and the sector benchmarks (issue #22)."""

from thermaudit.portfolio.store import Added, Portfolio, init_portfolio, open_portfolio

__all__ = ["Added", "Portfolio", "init_portfolio", "open_portfolio"]
