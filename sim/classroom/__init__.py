"""The classroom's service layer: games, seats, bots, timers, export (no web code).

The database (SQLAlchemy) is the truth, and a game's state is the replay of its move log.
"""

from sim.classroom.service import (
    Classroom,
    ClassroomError,
    Client,
    GameRef,
    NotAllowed,
    RateLimited,
    View,
)

__all__ = ["Classroom", "ClassroomError", "Client", "GameRef", "NotAllowed", "RateLimited", "View"]
