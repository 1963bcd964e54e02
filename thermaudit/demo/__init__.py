"""Synthetic demo plant: a dataset that follows the contract, with known true values."""

from thermaudit.demo.generator import SCALES, DemoInfo, PlantedEvent, UnknownScale, write_demo

__all__ = ["SCALES", "DemoInfo", "PlantedEvent", "UnknownScale", "write_demo"]
