"""The camera simulator's client lives in tools/ (the demo uses it too); tests import it from here."""

from tools.simulator_client import CameraSimulator

__all__ = ["CameraSimulator"]
