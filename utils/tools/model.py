"""The chapter's model: a stack of four LSTM layers and one Dense output."""

from __future__ import annotations

from ..backend import load_keras
from ..values import check_dropout, check_units, check_whole


def build_stacked_lstm(window: int, units: int, dropout: float = 0.0, layers: int = 4):
    """Stacked LSTM regressor: ``window`` scaled opens in, the next open out."""
    units, dropout = check_units(units), check_dropout(dropout)
    layers = check_whole(layers, "layers", 1, None, "the number of LSTM layers")
    keras = load_keras()
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

