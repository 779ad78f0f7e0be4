"""What shoppers call each category of the shipped shop; written into categories.jsonl
by the generator (a shop loading its own catalog supplies its own aliases)."""
from __future__ import annotations

# What shoppers call a category when they don't use the shop's name for it (English words
# too: shoppers mix them in, "有没有 noise cancelling 的 headphones"). Every alias
# belongs to one category only; detect_category lets the longest alias in the text win.
CATEGORY_ALIASES: dict[str, list[str]] = {
    # 数码
    "手机": ["手机", "智能手机", "5G手机", "拍照手机", "游戏手机", "smartphone", "cellphone", "mobile phone"],
    "笔记本电脑": ["笔记本电脑", "笔记本", "电脑", "手提电脑", "游戏本", "轻薄本", "商务本", "laptop", "notebook"],
    "平板电脑": ["平板电脑", "平板", "iPad", "tablet"],
    "蓝牙耳机": ["蓝牙耳机", "无线耳机", "耳机", "耳麦", "降噪耳机", "头戴式耳机", "运动耳机",
             "骨传导耳机", "headphones", "headphone", "earphones", "earphone", "earbuds", "headset"],
    "智能手表": ["智能手表", "运动手表", "手表", "手环", "智能手环", "电话手表", "smartwatch", "smart watch"],
    "相机": ["相机", "照相机", "数码相机", "微单", "微单相机", "单反", "单反相机", "运动相机",
           "拍立得", "vlog相机", "camera"],
    # 家电
    "电视": ["电视机", "电视", "智能电视", "液晶电视", "彩电", "平板电视", "television"],
    "空调": ["空调", "空调挂机", "空调柜机", "挂式空调", "立式空调", "变频空调", "冷暖空调", "air conditioner"],
    "冰箱": ["冰箱", "电冰箱", "对开门冰箱", "双开门冰箱", "冰柜", "refrigerator", "fridge"],
    "洗衣机": ["洗衣机", "滚筒洗衣机", "波轮洗衣机", "洗烘一体机", "洗烘一体", "washing machine"],
    "扫地机器人": ["扫地机器人", "扫地机", "扫拖机器人", "扫拖一体机", "拖地机器人", "robot vacuum"],
    "吸尘器": ["吸尘器", "无线吸尘器", "手持吸尘器", "吸尘机", "除螨仪", "vacuum cleaner", "vacuum"],
    "空气净化器": ["空气净化器", "净化器", "空净", "空气净化机", "除甲醛机", "air purifier", "purifier"],
    "电风扇": ["电风扇", "风扇", "电扇", "落地扇", "循环扇", "台扇", "无叶风扇", "electric fan"],
    "电饭煲": ["电饭煲", "电饭锅", "IH电饭煲", "煮饭锅", "rice cooker"],
    # 个护美妆
    "电动牙刷": ["电动牙刷", "牙刷", "声波牙刷", "电牙刷", "toothbrush"],
    "吹风机": ["吹风机", "电吹风", "吹风筒", "风筒", "hair dryer", "hairdryer"],
    "口红": ["口红", "唇膏", "唇釉", "唇彩", "唇泥", "lipstick"],
    "面霜": ["面霜", "乳霜", "保湿霜", "晚霜", "日霜", "修护霜", "精华面霜", "face cream"],
    "精华液": ["精华液", "精华", "精华露", "面部精华", "肌底液", "serum"],
    "香水": ["香水", "香氛", "淡香水", "淡香精", "古龙水", "男士香水", "女士香水", "perfume"],
    "洗发水": ["洗发水", "洗发露", "洗头膏", "洗发液", "洗头水", "shampoo"],
    "防晒霜": ["防晒霜", "防晒", "防晒乳", "防晒露", "防晒喷雾", "sunscreen", "sunblock"],
    "面膜": ["面膜", "补水面膜", "贴片面膜", "涂抹面膜", "睡眠面膜", "清洁面膜", "face mask", "sheet mask"],
    # 服饰鞋包
    "运动鞋": ["运动鞋", "跑鞋", "球鞋", "跑步鞋", "篮球鞋", "板鞋", "鞋子", "鞋", "sneakers", "sneaker",
            "running shoes"],
    "连衣裙": ["连衣裙", "裙子", "长裙", "碎花裙", "吊带裙", "衬衫裙"],
    "T恤": ["T恤", "短袖", "体恤", "短袖T恤", "半袖", "打底衫", "t-shirt", "tshirt"],
    "牛仔裤": ["牛仔裤", "裤子", "长裤", "直筒裤", "牛仔长裤", "jeans"],
    "羽绒服": ["羽绒服", "羽绒衣", "羽绒外套", "羽绒夹克", "派克服", "down jacket", "puffer jacket"],
    "卫衣": ["卫衣", "连帽衫", "帽衫", "套头衫", "连帽卫衣", "hoodie", "sweatshirt"],
    "双肩包": ["双肩包", "背包", "书包", "电脑包", "电脑背包", "笔记本电脑包", "旅行背包", "backpack"],
    "行李箱": ["行李箱", "拉杆箱", "旅行箱", "登机箱", "箱子", "托运箱", "suitcase", "luggage"],
    # 食品饮料
    "坚果": ["坚果", "每日坚果", "坚果礼盒", "干果", "果仁", "坚果零食"],
    "茶叶": ["茶叶", "茶", "茶叶礼盒", "绿茶", "红茶", "乌龙茶", "普洱", "龙井", "白茶", "花茶"],
    "咖啡": ["咖啡", "速溶咖啡", "咖啡豆", "挂耳咖啡", "冻干咖啡", "咖啡粉", "咖啡液", "coffee"],
    "牛奶": ["牛奶", "纯牛奶", "纯奶", "鲜牛奶", "鲜奶", "早餐奶", "儿童奶"],
    # 母婴玩具
    "奶粉": ["奶粉", "婴儿奶粉", "配方奶粉", "宝宝奶粉", "婴幼儿奶粉", "baby formula", "formula", "milk powder"],
    "纸尿裤": ["纸尿裤", "尿不湿", "尿布", "拉拉裤", "纸尿片", "diapers", "diaper"],
    "积木": ["积木", "拼装积木", "拼插积木", "积木玩具", "儿童玩具", "益智玩具", "拼装玩具", "building blocks"],
    # 家居
    "台灯": ["台灯", "护眼灯", "护眼台灯", "书桌灯", "学习灯", "阅读灯", "desk lamp"],
    "床上四件套": ["床上四件套", "四件套", "床品", "床单", "被套", "床上用品", "床品套件", "bedding set", "bedding"],
    "保温杯": ["保温杯", "水杯", "杯子", "保温水杯", "焖茶杯", "thermos"],
    # 宠物
    "猫粮": ["猫粮", "猫主粮", "猫咪粮", "猫饭", "cat food"],
    "狗粮": ["狗粮", "犬粮", "狗狗粮", "狗饭", "dog food"],
}
