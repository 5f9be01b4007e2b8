"""The workshop's tooling, for instructors and maintainers: ``cli`` (``python -m utils``), ``main_job`` (re-executes
the notebooks), ``sweep`` (many trainings on Dask), ``pipeline`` (every step of a notebook, for the command line and
the sweep), ``model`` (the command line's model builder), ``report`` (data check, results table, README figure),
``tasks`` (task notebooks from the solutions), ``download`` (optional yfinance download), ``wheels`` (every pin's
wheels for each learner's system and Python), ``timing`` (expected training minutes), ``handout`` (the learners'
copy), ``reset`` with ``learner_cli`` (notebooks back as committed; the handout's command line), ``release_checks``
(other library releases in fresh environments: make test-matrix, test-newest, colab-check), and ``fast_lstm`` with
``jax_lstm`` (the fast CPU LSTM path and its self-test). The tooling imports the lesson wing (``utils``); the lesson
wing imports nothing from here but the fast path, from :func:`utils.backend.load_keras`.
"""
