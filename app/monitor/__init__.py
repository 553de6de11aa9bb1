"""Monitoring agent: samples activity, merges samples into spans, writes the outbox.

Pure cores (``spans``, ``aggregates``, ``categorize``, ``browser``, ``clean``, ``timeutil``)
are wrapped by thin shells (``sampler``, ``window``/``idle`` per OS, ``screenshots``, ``store``,
``runner`` and the Qt ``agent``).
"""
