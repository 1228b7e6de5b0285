"""The kernel's input row layout (one float64 row per tick), shared by the core and extended blocks."""

BP, AP, BV, AV = 0, 5, 10, 15  # bid prices, ask prices, bid volumes, ask volumes (levels 1-5)
LAST, VOL, AMT, OI, PT, VM = 20, 21, 22, 23, 24, 25  # last, cum volume/amount/OI, price tick, multiplier
NX = 26
