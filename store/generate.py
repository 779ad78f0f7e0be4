"""Deterministic generator for the catalog and shopper history the project ships.

Run `python -m store.generate` to rewrite data/catalog/*; the output is committed so that
every machine indexes and trains on identical data. Same seed, same bytes.
"""
from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 20261128


@dataclass(frozen=True)
class CategorySpec:
    """What a leaf category sells: brands with their product lines, specs, prices, tags."""

    department: str
    name: str
    brands: dict[str, list[str]]
    price: tuple[int, int]
    colors: list[str]
    specs: list[str]
    tags: list[str]
    suffix: str
    blurb: list[str] = field(default_factory=list)


CATEGORIES: list[CategorySpec] = [
    CategorySpec(
        "数码", "手机",
        {"华为": ["Mate 60", "Mate 60 Pro", "nova 12", "Pura 70"],
         "小米": ["Redmi K70", "小米14", "Redmi Note 13", "小米14 Ultra"],
         "苹果": ["iPhone 15", "iPhone 15 Pro", "iPhone 14"],
         "OPPO": ["Reno11", "Find X7"], "vivo": ["X100", "iQOO 12", "S18"]},
        (999, 8999), ["黑色", "白色", "蓝色", "绿色", "紫色"],
        ["8GB+256GB", "12GB+256GB", "12GB+512GB", "16GB+1TB"],
        ["拍照", "续航", "游戏", "5G", "快充", "学生", "商务"], "5G手机",
        ["影像系统升级，夜景拍照更清晰。", "大电池配合快充，一天重度使用无压力。",
         "高刷屏幕顺滑跟手，玩游戏不掉帧。"]),
    CategorySpec(
        "数码", "笔记本电脑",
        {"联想": ["小新Pro 14", "拯救者Y7000P", "ThinkPad X1"],
         "华为": ["MateBook 14", "MateBook X Pro"], "苹果": ["MacBook Air", "MacBook Pro"],
         "戴尔": ["灵越14", "XPS 13"], "华硕": ["无畏Pro15", "天选5"]},
        (3299, 16999), ["银色", "灰色", "黑色"],
        ["i5 16GB 512GB", "i7 16GB 1TB", "R7 32GB 1TB", "M3 8GB 256GB"],
        ["轻薄", "游戏", "办公", "学生", "续航", "高性能"], "笔记本电脑",
        ["机身轻薄便携，通勤出差随手带。", "高性能处理器，剪辑和游戏都流畅。",
         "高色准屏幕，护眼不闪屏。"]),
    CategorySpec(
        "数码", "蓝牙耳机",
        {"苹果": ["AirPods Pro 2", "AirPods 3"], "华为": ["FreeBuds Pro 3", "FreeBuds 5i"],
         "小米": ["Redmi Buds 5", "小米Buds 4 Pro"], "索尼": ["WF-1000XM5", "WH-1000XM5"],
         "漫步者": ["Lolli Pro 3", "花再Zero"]},
        (99, 2299), ["白色", "黑色", "蓝色"], ["入耳式", "半入耳式", "头戴式"],
        ["降噪", "续航", "运动", "音质", "送礼", "学生"], "真无线蓝牙耳机",
        ["主动降噪，地铁通勤也安静。", "单次续航长，配合充电盒全天可用。", "佩戴轻巧稳固，运动不易掉。"]),
    CategorySpec(
        "数码", "智能手表",
        {"华为": ["WATCH GT 4", "WATCH 4 Pro"], "苹果": ["Apple Watch S9", "Apple Watch SE"],
         "小米": ["小米手表S3", "Redmi Watch 4"], "佳明": ["Forerunner 265", "fenix 7"]},
        (299, 6999), ["黑色", "银色", "粉色", "绿色"], ["41mm", "45mm", "46mm"],
        ["运动", "健康监测", "续航", "送礼", "商务"], "智能手表",
        ["心率血氧睡眠全天监测。", "百余种运动模式，跑步骑行都能记录。", "长续航，一周一充。"]),
    CategorySpec(
        "数码", "平板电脑",
        {"苹果": ["iPad Air", "iPad Pro", "iPad mini"], "华为": ["MatePad 11.5", "MatePad Pro"],
         "小米": ["小米平板6", "Redmi Pad SE"], "联想": ["小新Pad Pro", "拯救者Y700"]},
        (999, 9999), ["灰色", "银色", "蓝色", "紫色"], ["8GB+128GB", "8GB+256GB", "12GB+512GB"],
        ["学习", "办公", "游戏", "追剧", "学生", "轻薄"], "平板电脑",
        ["大屏追剧学习两不误。", "支持手写笔，记笔记画画都方便。", "多屏协同，办公效率更高。"]),
    CategorySpec(
        "家电", "电视",
        {"小米": ["Redmi A65", "小米电视S Pro"], "海信": ["E8K", "Vidda X"],
         "TCL": ["Q10K", "T7H"], "索尼": ["X91L", "A80L"], "创维": ["A7E", "G62"]},
        (1599, 19999), ["黑色", "银色"], ["55英寸", "65英寸", "75英寸", "85英寸"],
        ["4K", "大屏", "游戏", "护眼", "智能语音"], "液晶电视",
        ["4K高清画质，色彩细腻。", "高刷新率，接游戏机不拖影。", "语音遥控，老人孩子都会用。"]),
    CategorySpec(
        "家电", "扫地机器人",
        {"科沃斯": ["T30", "X2 Pro"], "石头": ["P10", "G20"], "追觅": ["X40", "L20 Ultra"],
         "小米": ["米家扫拖机器人2"], "云鲸": ["J4", "逍遥001"]},
        (1299, 6999), ["白色", "黑色"], ["扫拖一体", "自动集尘", "自清洁基站"],
        ["扫拖一体", "自动集尘", "避障", "宠物家庭", "懒人"], "扫地机器人",
        ["扫拖一体，地面干净不用弯腰。", "智能避障，不卡袜子不缠线。", "基站自动洗拖布集尘。"]),
    CategorySpec(
        "个护美妆", "吹风机",
        {"戴森": ["Supersonic HD15", "Supersonic HD08"], "徕芬": ["SE", "LF03"],
         "松下": ["EH-NA9J", "EH-WNE6"], "飞科": ["FH6276", "FH6278"]},
        (99, 3599), ["紫红色", "白色", "粉色", "黑色"], ["1600W", "1800W", "2000W"],
        ["速干", "护发", "负离子", "便携", "送礼"], "高速吹风机",
        ["高速马达，几分钟吹干长发。", "负离子护发，吹完顺滑不毛躁。", "小巧便携，出差旅行好收纳。"]),
    CategorySpec(
        "个护美妆", "口红",
        {"迪奥": ["烈艳蓝金 999", "魅惑釉唇膏"], "YSL": ["小金条 21", "方管 1966"],
         "阿玛尼": ["红管 405", "权力哑光"], "完美日记": ["小细跟 M03", "仿生膜"],
         "花西子": ["同心锁 M105", "雕花口红"]},
        (59, 450), ["正红色", "豆沙色", "橘红色", "玫瑰色", "裸色"], ["3.5g", "3.2g", "2.2g"],
        ["送礼", "显白", "哑光", "滋润", "持久", "日常"], "口红",
        ["显白不挑皮，日常通勤都合适。", "丝绒哑光质地，持久不易脱色。", "精美礼盒包装，送女朋友很体面。"]),
    CategorySpec(
        "服饰鞋包", "运动鞋",
        {"耐克": ["Air Force 1", "Pegasus 40", "Air Max 90"], "阿迪达斯": ["Ultraboost", "Samba"],
         "李宁": ["超轻21", "韦德之道"], "安踏": ["C202", "马赫4"], "New Balance": ["574", "990v6"]},
        (199, 1499), ["白色", "黑色", "灰色", "蓝色", "粉色"], ["38码", "40码", "42码", "44码"],
        ["跑步", "缓震", "透气", "百搭", "篮球", "学生"], "运动鞋",
        ["轻量缓震中底，长跑不累脚。", "透气网面鞋身，夏天穿也不闷。", "经典百搭款，日常穿搭都好看。"]),
    CategorySpec(
        "服饰鞋包", "双肩包",
        {"小米": ["极简都市双肩包", "经典商务双肩包"], "新秀丽": ["Tonale", "Kaston"],
         "耐克": ["Elemental", "Brasilia"], "北面": ["Borealis", "Jester"]},
        (79, 1299), ["黑色", "灰色", "蓝色", "绿色"], ["20L", "26L", "32L"],
        ["通勤", "学生", "大容量", "防泼水", "电脑包"], "双肩包",
        ["大容量分区收纳，15.6英寸电脑也放得下。", "防泼水面料，雨天通勤不怕湿。", "背负透气减压，久背不累。"]),
    CategorySpec(
        "家居", "保温杯",
        {"膳魔师": ["JNL-502", "TCMF"], "象印": ["SM-SA48", "SM-ZB36"], "虎牌": ["MMZ-K", "MCZ"],
         "富光": ["拾雅", "太空杯"]},
        (49, 399), ["白色", "黑色", "粉色", "蓝色"], ["350ml", "480ml", "600ml"],
        ["保温", "便携", "送礼", "学生", "办公"], "保温杯",
        ["316不锈钢内胆，长效保温12小时。", "轻巧便携，放包里不占地方。", "一键开盖，单手就能喝水。"]),
    CategorySpec(
        "食品饮料", "茶叶",
        {"八马": ["铁观音", "大红袍"], "小罐茶": ["金罐红茶", "多泡装绿茶"], "大益": ["7572普洱", "金针白莲"],
         "西湖牌": ["明前龙井", "雨前龙井"]},
        (68, 1280), ["绿色", "红色"], ["250g", "500g", "礼盒装"],
        ["送礼", "口粮茶", "浓香", "清香", "收藏"], "茶叶",
        ["原产地直采，汤色明亮回甘足。", "礼盒包装，送长辈送客户都合适。", "日常口粮茶，性价比高。"]),
]


def _round_price(value: float) -> float:
    """Shop-style prices: whole yuan ending in 9 above 100."""
    if value < 100:
        return float(round(value)) - 0.1
    return float(int(value / 10) * 10 + 9)


def generate_products(rng: random.Random) -> list[dict]:
    """Build ~150 products; every product line gets one or two spec/colour variants."""
    products: list[dict] = []
    for cat_index, spec in enumerate(CATEGORIES, start=1):
        serial = 0
        lo, hi = spec.price
        for brand, lines in spec.brands.items():
            for line in lines:
                base = lo + (hi - lo) * rng.random() ** 1.6
                for variant in range(rng.choice([1, 2, 2, 3])):
                    serial += 1
                    color = rng.choice(spec.colors)
                    size = spec.specs[min(variant, len(spec.specs) - 1)]
                    price = _round_price(base * (1 + 0.18 * variant))
                    list_price = _round_price(price * rng.uniform(1.05, 1.35))
                    tags = rng.sample(spec.tags, k=min(3, len(spec.tags)))
                    title = f"{brand} {line} {size} {color} {' '.join(tags[:2])} {spec.suffix}"
                    description = "".join(rng.sample(spec.blurb, k=min(2, len(spec.blurb))))
                    products.append({
                        "id": f"SKU{cat_index:02d}{serial:04d}",
                        "title": title,
                        "brand": brand,
                        "department": spec.department,
                        "category": spec.name,
                        "price": price,
                        "list_price": list_price,
                        "color": color,
                        "attributes": {"规格": size, "系列": line},
                        "tags": tags,
                        "description": f"{brand} {line} {spec.suffix}。{description}",
                        "stock": rng.choice([0, 5, 20, 50, 120, 300]),
                        "sales": int(rng.paretovariate(1.3) * 200),
                        "rating": round(rng.uniform(4.0, 5.0), 1),
                        "reviews": int(rng.paretovariate(1.2) * 80),
                    })
    return products


def generate_interactions(rng: random.Random, products: list[dict], users: int = 300) -> list[dict]:
    """Shoppers with a favourite department and brand browse, cart and buy over 90 days."""
    by_dept: dict[str, list[dict]] = {}
    for p in products:
        by_dept.setdefault(p["department"], []).append(p)
    start = datetime(2026, 8, 1, tzinfo=timezone.utc)
    weights = {"view": 1, "click": 2, "add_to_cart": 3, "purchase": 4}
    rows: list[dict] = []
    for u in range(1, users + 1):
        dept = rng.choice(list(by_dept))
        pool = by_dept[dept]
        brand = rng.choice(pool)["brand"]
        loyal = [p for p in pool if p["brand"] == brand] or pool
        for _ in range(rng.randint(8, 30)):
            item = rng.choice(loyal if rng.random() < 0.6 else pool if rng.random() < 0.8 else products)
            event = rng.choices(list(weights), weights=[60, 25, 10, 5])[0]
            ts = start + timedelta(minutes=rng.randint(0, 90 * 24 * 60))
            rows.append({"user_id": f"u{u:04d}", "product_id": item["id"], "event": event,
                         "timestamp": ts.isoformat()})
    rows.sort(key=lambda r: (r["timestamp"], r["user_id"]))
    return rows


def main(out_dir: Path = Path("data/catalog")) -> None:
    rng = random.Random(SEED)
    products = generate_products(rng)
    interactions = generate_interactions(rng, products)
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "products.jsonl").open("w", encoding="utf-8") as fh:
        for p in products:
            fh.write(json.dumps(p, ensure_ascii=False) + "\n")
    with (out_dir / "interactions.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["user_id", "product_id", "event", "timestamp"])
        writer.writeheader()
        writer.writerows(interactions)
    print(f"wrote {len(products)} products and {len(interactions)} interactions to {out_dir}")


if __name__ == "__main__":
    main()
