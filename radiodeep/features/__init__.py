"""Cohort feature tables: wide, long/tidy, data dictionary and QC."""

from radiodeep.features.dictionary import feature_dictionary, split_feature_name
from radiodeep.features.tables import collect_case_records, long_table

__all__ = ["collect_case_records", "feature_dictionary", "long_table", "split_feature_name"]
