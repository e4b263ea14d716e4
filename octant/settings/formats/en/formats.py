"""One date and time format everywhere in the admin (settings FORMAT_MODULE_PATH): Django's English ones
("Dec. 6, 2026, 8:09 p.m.") differ from the dashboard's and the chain's, which staff compare."""
DATETIME_FORMAT = "Y-m-d H:i:s T"  # 2026-12-06 20:09:03 UTC
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
DATE_FORMAT = SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i:s"
