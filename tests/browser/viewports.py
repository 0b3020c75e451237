"""The widths every entry page is checked and photographed at."""

from playwright.sync_api import ViewportSize

DESKTOP = ViewportSize(width=1280, height=800)
# A common phone (掌上办).
PHONE = ViewportSize(width=390, height=844)
# The narrowest phone the layout is built for.
NARROW = ViewportSize(width=360, height=740)
