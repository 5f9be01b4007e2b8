"""The chapter's model: a stack of four LSTM layers and one Dense output."""

from __future__ import annotations

from .backend import load_keras

keras = load_keras()

from .data import DataError


def check_model_parameters(units: int, dropout: float, layers: int = 4) -> None:
    """Reject settings that cannot make a working model, naming the parameter."""
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        raise DataError(f"units={units!r}: the number of LSTM units must be a whole number, at least 1")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise DataError(f"dropout={dropout!r}: the dropout rate must be a number from 0 up to (not including) 1")
    if isinstance(layers, bool) or not isinstance(layers, int) or layers < 1:
        raise DataError(f"layers={layers!r}: the number of LSTM layers must be a whole number, at least 1")


def build_stacked_lstm(window: int, units: int, dropout: float = 0.0, layers: int = 4) -> keras.Model:
    """Stacked LSTM regressor: ``window`` scaled opens in, the next open out."""
    check_model_parameters(units, dropout, layers)
    model = keras.Sequential(name=f"lstm_{units}_units")
    model.add(keras.Input(shape=(window, 1)))
    for layer in range(layers):
        # Every LSTM but the last hands its whole sequence to the next one;
        # the last returns only its final state for the Dense layer.
        model.add(keras.layers.LSTM(units, return_sequences=layer < layers - 1))
        if dropout:
            model.add(keras.layers.Dropout(dropout))
    model.add(keras.layers.Dense(1))
    model.compile(optimizer="adam", loss="mean_squared_error")
    return model

