"""Scale emulators: byte-exact answers per protocol, over TCP or a pty, driven by a
scripted weight curve (ramp, settle, noise, overload) with garbage injection."""

from kassa_scales.sim.curve import Curve, Sample
from kassa_scales.sim.label import LabelScaleEmulator
from kassa_scales.sim.pos import (
    CasEmulator,
    CasType1Emulator,
    MassaKEmulator,
    MtSicsEmulator,
    Pos2Emulator,
    emulator_for,
)
from kassa_scales.sim.server import ScaleSimulator

__all__ = ["CasEmulator", "CasType1Emulator", "Curve", "LabelScaleEmulator", "MassaKEmulator",
           "MtSicsEmulator", "Pos2Emulator", "Sample", "ScaleSimulator", "emulator_for"]
