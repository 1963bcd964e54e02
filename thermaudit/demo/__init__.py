"""Synthetic demo plant: a dataset that follows the contract, with known true values."""

from typing import TYPE_CHECKING, Any

from thermaudit.demo.scales import SCALES

if TYPE_CHECKING:
    from thermaudit.demo.generator import DemoInfo, PlantedEvent, UnknownScale, write_demo

__all__ = ["SCALES", "DemoInfo", "PlantedEvent", "UnknownScale", "write_demo"]


def __getattr__(name: str) -> Any:
    # numpy, pyarrow and the contract load when a plant is written, not for `demo --help`
    if name in ("DemoInfo", "PlantedEvent", "UnknownScale", "write_demo"):
        from thermaudit.demo import generator

        return getattr(generator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
