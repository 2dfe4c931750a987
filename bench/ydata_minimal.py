"""ydata-profiling in minimal mode on one CSV: the reference point of bench/profile.sh."""
import sys

import pandas as pd
from ydata_profiling import ProfileReport

df = pd.read_csv(sys.argv[1], na_values=["?"])
ProfileReport(df, minimal=True, progress_bar=False).to_file(sys.argv[2])
