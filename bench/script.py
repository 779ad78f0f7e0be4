"""The scripted shopper every serving bench replays: search, refine, detail, cart, compare,
recommendations, orders, handoff; and the floor, a greeting with no custom action."""
from __future__ import annotations

SCRIPT = ["你好", "我想买蓝牙耳机", "要黑色的", "再便宜点", "第二个详细介绍一下", "第二个加入购物车",
          "看看购物车", "有什么优惠", "我想买手机", "三千以内的", "要华为的", "第一个和第二个哪个好",
          "第一个加入购物车", "推荐点适合我的", "这个配什么", "我的订单到哪了", "DD202608010017425937",
          "转人工", "谢谢", "再见"]
FLOOR = ["你好"] * len(SCRIPT)
