"""Made-up Chinese place names for synthetic counties: two syllables and a suffix (石门村)."""

from __future__ import annotations

import numpy as np

FIRST = "石高上下大小黄新东西南北龙凤金竹松梅桃白青马牛杨柳岩枫茶李陈"
SECOND = "门坑岭田溪坪口桥头岙源塘湾坞垟洋山岗后前埠庄林底"


def stems(rng: np.random.Generator, count: int) -> list[str]:
    """`count` distinct two-character stems in random order; past the table's size a number is
    appended (石门2)."""
    table = [a + b for a in FIRST for b in SECOND]
    order = rng.permutation(len(table))
    return [
        table[order[k % len(table)]] + ("" if k < len(table) else str(k // len(table) + 1))
        for k in range(count)
    ]
