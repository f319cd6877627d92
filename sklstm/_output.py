"""Output containers (``set_output``) for transformers whose output may be 3-D.

scikit-learn's own ``set_output`` wraps every output of ``transform`` in a
DataFrame, which fails for a 3-D array or a list of sequences. The sklstm
transformers follow one rule instead: a 2-D output becomes a DataFrame
(pandas or polars) when asked for, with ``get_feature_names_out()`` as its
columns and, for a pandas input, the input's index; a 3-D array or a list of
variable-length sequences is returned as it is, since a DataFrame cannot hold
it. So a pipeline in which such a transformer feeds an LSTM estimator keeps
working with ``set_output(transform="pandas")`` or with the global
``sklearn.set_config(transform_output="pandas")``.
"""

import numpy as np
from sklearn import get_config

_CONTAINERS = ("default", "pandas", "polars")


class _SequenceOutputMixin:
    """``set_output`` and ``fit_transform`` that apply the 2-D/3-D rule.

    Put it before ``TransformerMixin`` in the bases, and create the class with
    ``auto_wrap_output_keys=None`` so that scikit-learn does not wrap
    ``transform`` a second time.
    """

    def set_output(self, *, transform=None):
        """Set the container of the output of ``transform`` and ``fit_transform``.

        A 2-D output is returned in the chosen container; a 3-D array or a
        list of variable-length sequences is always returned as it is (a
        DataFrame cannot hold it).

        Parameters
        ----------
        transform : {"default", "pandas", "polars"}, default=None
            ``"default"``: the transformer's own output (ndarray or list);
            ``"pandas"`` or ``"polars"``: a DataFrame when the output is 2-D;
            None leaves the setting unchanged.

        Returns
        -------
        self : estimator instance
            The transformer.
        """
        if transform is None:
            return self
        if transform not in _CONTAINERS:
            raise ValueError(
                f"transform must be one of {list(_CONTAINERS)} or None, got "
                f"{transform!r}."
            )
        # the attribute scikit-learn's own set_output uses: clone() keeps it
        if not hasattr(self, "_sklearn_output_config"):
            self._sklearn_output_config = {}
        self._sklearn_output_config["transform"] = transform
        return self

    def fit_transform(self, X, y=None, **fit_params):
        """Fit to ``X``, then transform it.

        Parameters
        ----------
        X : array-like or list of sequences
            Input of ``fit`` and ``transform``.
        y : None
            Ignored.
        **fit_params : dict
            Passed to ``fit``.

        Returns
        -------
        X_new : ndarray, DataFrame or list
            The output of ``transform``.
        """
        return self.fit(X, y, **fit_params).transform(X)

    def _wrap_output(self, out, X):
        """``out`` in the configured container if it is 2-D, else unchanged."""
        config = getattr(self, "_sklearn_output_config", {})
        container = config.get("transform", get_config()["transform_output"])
        if container == "default" or not isinstance(out, np.ndarray) or out.ndim != 2:
            return out
        columns = list(self.get_feature_names_out())
        if container == "pandas":
            import pandas as pd

            index = X.index if isinstance(X, pd.DataFrame) else None
            return pd.DataFrame(out, index=index, columns=columns, copy=False)
        try:
            import polars as pl
        except ImportError as exc:  # pragma: no cover - needs polars absent
            raise ImportError(
                'set_output(transform="polars") needs polars: pip install polars.'
            ) from exc
        return pl.DataFrame(out, schema=columns, orient="row")
