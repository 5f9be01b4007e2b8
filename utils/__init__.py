"""The LSTM stock-price workshop's helpers, in two wings.

``utils`` itself holds what the notebooks import, the lesson: ``data`` (load and
validate prices), ``features`` (scaling and windows), ``training`` (seeds,
progress, predict), ``evaluation`` (baseline, metrics, the verdict rule),
``plots``, ``lstm_numpy`` (the LSTM cell in plain NumPy), ``checks`` (the
activities' self-checks), ``results`` and ``saved_models`` (saved runs and
trained models), ``registry`` (the five notebooks), ``backend`` (the one call
that loads Keras, :func:`utils.backend.load_keras`), and the small modules
they share: ``errors``, ``values`` (parsing every user value), ``epochs``,
``files`` and ``atomic`` (writing files all at once).

``utils.tools`` holds the tooling: the command line, the main job, the sweep,
the report, the task generator, the download, and the fast LSTM path's
internals. ``docs/architecture.md`` draws both.

Importing any of it changes nothing in the process: no environment variable,
no Keras, no allocator setting. That happens in ``load_keras()``.
"""
