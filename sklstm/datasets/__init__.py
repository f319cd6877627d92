"""Small real data sets shipped with sklstm, for examples and demos offline.

=================================  ==========================================
:func:`load_airline`               monthly airline passengers, 1949-1960
                                   (univariate forecasting)
:func:`load_italy_power_demand`    ItalyPowerDemand (univariate, fixed
                                   length 24, binary classification)
:func:`load_japanese_vowels`       Japanese Vowels (multivariate, variable
                                   length 7-29, 9 classes)
:func:`load_nab_machine_temperature`  NAB machine temperature (univariate
                                   anomaly detection, with label windows)
=================================  ==========================================

The source and licence of every data file are in ``data/LICENSES.md`` and in
the Notes section of each loader.
"""

from ._base import (
    load_airline,
    load_italy_power_demand,
    load_japanese_vowels,
    load_nab_machine_temperature,
)

__all__ = [
    "load_airline",
    "load_italy_power_demand",
    "load_japanese_vowels",
    "load_nab_machine_temperature",
]
