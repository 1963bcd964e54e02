"""The plant dataset (``thermaudit.dataset/1``): ``site.yaml`` and the tables, validated and
normalized to canonical Parquet tables."""

from thermaudit.dataset.model import SCHEMAS, InputFile, NormalizedDataset
from thermaudit.dataset.reader import normalize
from thermaudit.dataset.site import load_site

__all__ = ["SCHEMAS", "InputFile", "NormalizedDataset", "load_site", "normalize"]
