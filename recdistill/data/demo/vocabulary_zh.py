"""The demo vocabulary in simplified Chinese: :data:`LEAVES_ZH`, a leaf-by-leaf mirror of
:data:`~recdistill.data.demo.vocabulary.LEAVES`, written as a Chinese shop writes it.

Titles read like a Taobao/JD listing ("极光 X5 智能手机 128GB 午夜蓝",
"极光 X5 硅胶手机壳 黑色"), categories like "手机数码 > 手机配件". All brands are
invented.

The mirror keeps the generative story identical, so the same seed draws the same
catalogue (leaf, model, product type and popularity of every item) and the same
user histories as the English shop, item by item, only in Chinese:

- the same leaves in the same order, with the same kind, share, appeal,
  interval, and parent/complements (by their Chinese names);
- per leaf, the same number of title formats, each with the same placeholders
  in the same order (the catalogue enumerates variants in placeholder order);
- per axis, the same keys and the same number of distinct values, each value
  the translation of the English one at its position; one brand keeps one
  Chinese name across leaves (:data:`BRANDS`), as one colour does (:data:`COLOURS`);
- the same number of description blurbs with the same placeholders, and of
  device model series and numbers.

:data:`COLOURS_ZH_EN` maps each Chinese colour value back to its English name
(for anything that draws product pictures by colour).
"""

from __future__ import annotations

from dataclasses import replace

from recdistill.data.demo.vocabulary import LEAVES, Leaf

__all__ = ["BRANDS", "COLOURS", "COLOURS_ZH_EN", "COLOUR_AXES", "DEPARTMENTS_ZH", "LEAVES_ZH"]

#: the axes whose values are colours (translated through :data:`COLOURS`)
COLOUR_AXES = ("colour", "leather", "metal", "notecol", "finish", "ink", "frame")

DEPARTMENTS_ZH: dict[str, str] = {
    "Phones & Wearables": "手机数码",
    "Computers & Office": "电脑办公",
    "Electronics": "数码影音",
    "Kitchen & Dining": "厨房餐饮",
    "Grocery": "食品饮料",
    "Pet Supplies": "宠物生活",
    "Home & Garden": "家居园艺",
    "Beauty & Personal Care": "美妆个护",
    "Sports & Outdoors": "运动户外",
    "Clothing & Shoes": "服饰鞋靴",
    "Baby & Toys": "母婴玩具",
}

#: every English brand -> its invented Chinese name (one name per brand across leaves)
BRANDS: dict[str, str] = {
    "Aurora": "极光", "Veltra": "维拓", "Nimbus": "云翼", "Kairo": "凯络", "Zentek": "禅科",
    "Pulse": "心跃", "Strider": "步锐", "Sonara": "声澜", "Echo Lane": "回声巷",
    "Basswell": "沉音", "Tunecraft": "乐匠", "Kestrel": "隼翼", "Orbis": "圆界",
    "Inkwell": "墨泉", "Printa": "印达", "Docuprime": "文普", "Paperline": "纸航",
    "Scriba": "笔客", "Officio": "简办", "Notewell": "记优", "Deskmate": "桌伴",
    "Deskhaven": "桌居", "Keystone": "键石", "Ergolab": "工学派", "Orion": "猎户",
    "Lumora": "光摩", "Fotek": "影科", "Nova": "新星", "Arcadia": "桃源", "Pixelon": "像素侠",
    "Voltix": "电跃", "Chargeon": "充能", "Linkwire": "联线", "Powerloop": "能环",
    "Brewmaster": "酿师", "Crema": "金沫", "Caffeluxe": "咖奢", "Kettle & Co": "壶记",
    "Pourwell": "滴享", "Bloom Brew": "花萃", "Hearthstone": "灶石", "Copperline": "铜韵",
    "Ironwood": "铁木", "Cucina Viva": "厨乐", "Kitchara": "厨佳", "Homeline": "居匠",
    "Hydra": "海卓", "Trailmate": "径伴", "Glassworks": "琉璃坊", "Highland Roasters": "高原烘",
    "Morning Ritual": "晨礼", "Bean & Bloom": "豆蕊", "Copper Kettle Coffee": "铜壶",
    "Altitude": "海拔", "Filtra": "滤得", "Leaf & Kettle": "叶壶", "Twinfield": "双田",
    "Misty Peak": "雾峰", "Chaiwala": "茶郎", "Nutshell": "仁壳", "Trailhead Foods": "径食",
    "Goodcrave": "好馋", "Cocoa Grove": "可可林", "Crunchwell": "脆乐", "Happy Paws": "乐爪",
    "Wildtrail": "野径", "Barkwell": "汪好", "NutriPet": "营宠", "Whiskerly": "喵须",
    "Purrfect": "呼噜", "Clumpwell": "速凝", "FreshPaws": "净爪", "Playpup": "玩汪",
    "Fetchly": "叼叼", "Snoozy": "酣眠", "Nestwell": "暖巢", "Sweepa": "扫宝", "Dustin": "尘净",
    "Robomop": "擦擦侠", "Dreamwell": "梦泉", "Linenhaus": "麻居", "Cloudrest": "云憩",
    "Lumen & Co": "流明", "Brightnest": "亮巢", "Glowhaus": "光屋", "Lampwright": "灯匠",
    "Casa Calma": "静宅", "Hearth & Home": "家炉", "Claywork": "陶作", "Greenthumb": "绿拇指",
    "Rootwell": "根好", "Fieldcraft": "田艺", "Gardencraft": "园艺家", "Dentra": "牙适",
    "Brightly": "皓白", "Sonicor": "声净", "Lumiere": "璐米", "Botanica": "植萃",
    "Silkroot": "丝根", "Purely": "纯然", "Dermalyn": "肤琳", "Glowday": "焕日",
    "Skinfolk": "肌本", "Zenflow": "禅流", "Corefit": "核练", "Stridewell": "迈步",
    "Ironpeak": "铁峰", "Flexline": "柔线", "Trailhead": "山道", "Summit Gear": "登顶",
    "Northpine": "北松", "Basecamp": "营地", "Velocity": "疾速", "Pedalworks": "踏坊",
    "Spokeline": "辐条", "Fleetfoot": "飞足", "Runique": "跑客", "Basicwear": "素衣",
    "Threadly": "织线", "Stormline": "御风", "Snugglies": "软糯", "Little Cloud": "小云朵",
    "Softbum": "柔屁屁", "Brickwise": "砖智", "Buildo": "搭搭", "Blockcraft": "积木匠",
    "Tinkerblock": "巧块", "Puzzlewood": "拼木", "Gamenight": "游戏夜", "Tabletop Co": "桌游社",
}

#: every English colour value (of the :data:`COLOUR_AXES`) -> its Chinese name
COLOURS: dict[str, str] = {
    "Black": "黑色", "White": "白色", "Grey": "灰色", "Navy": "藏青色", "Red": "红色",
    "Green": "绿色", "Beige": "米色", "Blue": "蓝色", "Midnight Blue": "午夜蓝",
    "Graphite": "石墨灰", "Silver": "银色", "Coral Red": "珊瑚红", "Forest Green": "森林绿",
    "Starlight White": "星光白", "Lavender": "薰衣草紫", "Sunset Orange": "日落橙",
    "Clear": "透明", "Navy Blue": "藏蓝色", "Olive Green": "橄榄绿", "Blush Pink": "樱花粉",
    "Sky Blue": "天蓝色", "Brown": "棕色", "Tan": "驼色", "Rose Gold": "玫瑰金",
    "Midnight": "午夜色", "Olive": "橄榄色", "Coral": "珊瑚色", "Sea Blue": "海蓝色",
    "Lime": "青柠色", "Sand": "沙色", "Gold": "金色", "Sage Green": "鼠尾草绿",
    "Space Grey": "深空灰", "Charcoal": "炭灰色", "Lilac": "丁香紫", "Pastel": "马卡龙色",
    "Neon": "荧光色", "Yellow": "黄色", "Assorted Colours": "多色混装", "Khaki": "卡其色",
    "Cobalt Blue": "钴蓝色", "Volcanic Red": "火山红", "Stainless Steel": "不锈钢色",
    "Matte Black": "哑光黑", "Cream": "奶油白", "Sage": "灰绿色", "Terracotta": "陶土色",
    "Teal": "青绿色", "Ocean Blue": "海洋蓝", "Pink": "粉色", "Rainbow": "彩虹色",
    "Mocha": "摩卡色", "Slate": "石板灰", "Blush": "藕粉色", "Brass": "黄铜色",
    "Matte Green": "哑光绿", "Walnut": "胡桃木色", "Gold Frame": "金色边框",
    "Black Frame": "黑色边框", "Orange": "橙色", "Mint": "薄荷绿", "Purple": "紫色",
    "Slate Blue": "石板蓝", "Rust": "铁锈红", "Stone Grey": "岩石灰",
    "Fluorescent Yellow": "荧光黄", "Black/White": "黑白", "Grey/Lime": "灰青柠",
    "Navy/Orange": "藏青橙", "White/Coral": "白珊瑚", "All Black": "全黑", "Assorted": "混色",
}

SAME = None  # an axis whose values a Chinese shop writes as they are ("128GB", "Q20")
_Axes = dict[str, tuple[str, ...] | None]

SIZES_ZH = ("小号", "中号", "大号")  # vocabulary.SIZES

# English leaf name -> (Chinese leaf name, title formats, blurbs, the axes other than
# brand and colours, in English order). Formats keep the English placeholder order.
_ZH: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], _Axes]] = {
    # ------------------------------------------------------------------ 手机数码
    "Phones": (
        "手机",
        ("{model} 智能手机 {storage} {colour}",),
        ("{model}搭载6.5英寸OLED屏幕，续航持久，{storage}大存储。",
         "{colour}{model}智能手机，后置三摄，支持5G与快充。"),
        {"storage": SAME},
    ),
    "Phone Accessories": (
        "手机配件",
        ("{model} 硅胶手机壳 {colour}", "{model} 透明防摔手机壳", "{model} 钢化玻璃膜 2片装",
         "{model} 翻盖皮套卡包 {leather}", "{model} 镜头保护膜", "{model} 无线充电支架",
         "{model} 加厚铠甲手机壳 {colour}"),
        ("专为{model}设计，按键与接口开孔精准。", "保护{model}免受跌落与刮擦，轻薄不臃肿。"),
        {},
    ),
    "Smartwatches": (
        "智能手表",
        ("{model} 智能手表 {case} {colour}",),
        ("{model}支持心率、睡眠与运动监测，内置GPS，续航长达一周。",
         "{case}表盘{model}智能手表，支持息屏显示与NFC支付。"),
        {"case": SAME},
    ),
    "Watch Accessories": (
        "手表配件",
        ("{model} 运动表带 {colour}", "{model} 磁吸充电线", "{model} 保护壳 2个装",
         "{model} 不锈钢米兰表带 {metal}", "{model} 屏幕保护膜 3片装"),
        ("适配{model}，几秒即可装好。", "为{model}打造的舒适耐用配件。"),
        {},
    ),
    "Headphones": (
        "耳机",
        ("{brand} 头戴式无线降噪耳机 {line} {colour}", "{brand} 真无线蓝牙耳机 {line} {colour}",
         "{brand} 开放式运动耳机 {line} {colour}"),
        ("{brand}音质饱满均衡，续航最长30小时。", "{brand}主动降噪，通话麦克风清晰。"),
        {"line": SAME},
    ),
    # ------------------------------------------------------------------ 电脑办公
    "Laptops": (
        "笔记本电脑",
        ("{model} 笔记本电脑 {ram}内存 {ssd}固态 {colour}",),
        ("{model}轻薄便携，{ram}内存搭配{ssd}固态硬盘。",
         "{model}随时随地高效办公：高清屏幕、静音键盘、超长续航。"),
        {"ram": SAME, "ssd": SAME},
    ),
    "Laptop Accessories": (
        "笔记本配件",
        ("{model} 加厚电脑内胆包 {colour}", "{model} 65W USB-C电源适配器", "{model} 硅胶键盘膜",
         "{model} USB-C扩展坞", "{model} 硬壳保护壳 {colour}", "{model} 防窥膜"),
        ("按{model}尺寸设计并实测适配。", "{model}日常必备配件，经久耐用。"),
        {},
    ),
    "Tablets": (
        "平板电脑",
        ("{model} 平板电脑 {storage} WLAN版 {colour}", "{model} 平板电脑 {storage} 5G版 {colour}"),
        ("{model}平板配备11英寸高亮屏幕，阅读、绘画、追剧都合适。",
         "{colour}{model}平板电脑，{storage}存储，续航一整天。"),
        {"storage": SAME},
    ),
    "Tablet Accessories": (
        "平板配件",
        ("{model} 智能双面夹 {colour}", "{model} 主动式电容笔", "{model} 类纸膜",
         "{model} 蓝牙键盘保护套", "{model} 儿童防摔保护套 {colour}"),
        ("围绕{model}设计，贴合精准。", "让你的{model}更好用。"),
        {},
    ),
    "Printers": (
        "打印机",
        ("{model} 无线打印复印扫描一体机 {colour}",),
        ("{model}支持WiFi打印、扫描、复印，自动双面打印。",
         "小巧的{model}一体机，适合家庭和小型办公室。"),
        {},
    ),
    "Ink & Toner": (
        "墨盒硒鼓",
        ("{model} 黑色墨盒", "{model} 三色彩色墨盒", "{model} 大容量黑色墨盒",
         "{model} 墨盒套装 黑色+彩色"),
        ("{model}原装墨水：文字锐利，色彩鲜艳。", "{model}打印机专用替换墨盒。"),
        {},
    ),
    "Office Supplies": (
        "办公文具",
        ("{brand} 多功能复印纸 {paper} {sheets}张", "{brand} 中性笔 {ink} {pack}",
         "{brand} 便利贴 {note} {notecol} {pack}", "{brand} 线圈笔记本 {ruling} {pack}"),
        ("{brand}日常办公必备。", "{brand}文具，居家办公都可靠。"),
        {"paper": ("A4", "A3"), "sheets": SAME, "pack": ("12件装", "24件装"),
         "note": ("76×76mm", "102×152mm"), "ruling": ("横线", "点阵")},
    ),
    "Desk Accessories": (
        "桌面外设",
        ("{brand} 无线人体工学鼠标 {colour}", "{brand} 机械键盘 {switch} {colour}",
         "{brand} 可调节铝合金笔记本支架 {colour}", "{brand} 显示器挂灯 {colour}",
         "{brand} 毛毡桌垫 {mat} {colour}"),
        ("{brand}，让桌面整洁又舒适。", "{brand}设计，陪你度过漫长工作日。"),
        {"switch": ("红轴", "茶轴", "青轴"), "mat": ("80×30cm", "90×40cm")},
    ),
    # ------------------------------------------------------------------ 数码影音
    "Cameras": (
        "相机",
        ("{model} 微单相机 {kit}",),
        ("{model}可拍摄2400万像素照片与4K视频，对焦迅速。", "小巧的{model}微单相机，{kit}。"),
        {"kit": ("单机身", "18-55mm镜头套机", "24-105mm镜头套机")},
    ),
    "Camera Accessories": (
        "相机配件",
        ("{model} 可充电锂电池", "{model} 加厚相机包 {colour}", "{model} 屏幕钢化膜",
         "{model} 竖拍手柄", "{model} 双槽电池充电器"),
        ("为{model}打造，拍摄更持久。", "让你的{model}随时准备好下一张。"),
        {},
    ),
    "Game Consoles": (
        "游戏机",
        ("{model} 游戏主机 {storage} {colour}",),
        ("{model}以4K分辨率运行最新大作，最高120帧。",
         "{colour}{model}游戏主机，{storage}存储，附赠无线手柄。"),
        {"storage": SAME},
    ),
    "Gaming Accessories": (
        "游戏配件",
        ("{model} 无线手柄 {colour}", "{model} 双手柄充电座", "{model} 游戏耳机 {colour}",
         "{model} 散热风扇立式支架", "{model} 媒体遥控器"),
        ("{model}官方授权。", "升级你的{model}游戏装备。"),
        {},
    ),
    "Video Games": (
        "游戏软件",
        ("《{game}》{model}版",),
        ("《{game}》{model}版。", "在{model}上畅玩《{game}》。"),
        {"game": ("星陨奥德赛", "钢铁狂潮", "灰烬王国", "霓虹赛道", "龙谷编年史", "超级卡丁车",
                  "暗影协议", "丰收谷", "绿茵狂飙25", "天穹传说", "深海打捞", "边境战术")},
    ),
    "Cables & Chargers": (
        "充电线材",
        ("{brand} 编织双头USB-C数据线 {length} {colour}", "{brand} 便携充电宝 {mah} {colour}",
         "{brand} {watt}氮化镓USB-C充电器 {colour}", "{brand} HDMI 2.1高清线 {length}"),
        ("{brand}快充，安全放心。", "{brand}线材与电源，耐用性经过测试。"),
        {"length": ("1米", "2米", "3米"), "mah": ("10000mAh", "20000mAh"), "watt": SAME},
    ),
    # ------------------------------------------------------------------ 厨房餐饮
    "Espresso Machines": (
        "意式咖啡机",
        ("{model} 意式咖啡机 {finish}",),
        ("{model}采用15bar压力泵与蒸汽棒，在家也能萃取咖啡馆品质的浓缩。",
         "{finish}{model}意式咖啡机，在家做拿铁和卡布奇诺。"),
        {},
    ),
    "Espresso Supplies": (
        "咖啡机耗材",
        ("{model} 除垢剂 2瓶装", "{model} 滤水芯", "{roast}意式浓缩胶囊 {model}适用 50粒装"),
        ("让你的{model}始终保持最佳状态。", "{model}意式咖啡机专用。"),
        {"roast": ("浓烈", "经典", "低因", "长萃")},
    ),
    "Coffee Gear": (
        "咖啡器具",
        ("{brand} 陶瓷手冲咖啡滤杯 {colour}", "{brand} 锥刀咖啡磨豆机 {colour}",
         "{brand} 细口电热手冲壶 {litre} {colour}", "{brand} 玻璃法压壶 {litre} {colour}"),
        ("{brand}，在家冲一杯更好的咖啡。", "{brand}咖啡器具，享受慢慢手冲的清晨。"),
        {"litre": ("0.6L", "1L")},
    ),
    "Cookware": (
        "锅具刀具",
        ("{brand} 不粘煎锅 {cm} {colour}", "{brand} 铸铁平底锅 {inch}",
         "{brand} 带盖不锈钢奶锅 {litre}", "{brand} 珐琅铸铁锅 {qt} {colour}",
         "{brand} 主厨刀 {inch}"),
        ("{brand}锅具经久耐用，适合日常烹饪。", "{brand}受热均匀，易于清洗。"),
        {"cm": ("20cm", "24cm", "28cm"), "inch": ("8英寸", "10英寸", "12英寸"),
         "litre": ("1.5L", "2.5L"), "qt": ("4.2L", "5.7L")},
    ),
    "Small Appliances": (
        "厨房小电",
        ("{brand} 高速破壁机 {watt} {colour}", "{brand} 双片多士炉 {colour}",
         "{brand} 智能空气炸锅 {qt} {colour}", "{brand} 厨师机 {qt} {colour}",
         "{brand} 电饭煲 {cups} {colour}"),
        ("{brand}小家电，省时可靠。", "{brand}帮你快速搞定工作日晚餐。"),
        {"watt": SAME, "qt": ("3.8L", "5.2L"), "cups": ("1.6L", "3L")},
    ),
    "Drinkware": (
        "水杯",
        ("{brand} 保温水杯 {oz} {colour}", "{brand} 不锈钢随行杯 {oz} {colour}",
         "{brand} 双层玻璃杯 {n}只装"),
        ("{brand}保冷24小时，保温12小时。", "{brand}日常杯具，可洗碗机清洗。"),
        {"oz": ("350ml", "600ml", "950ml"), "n": SAME},
    ),
    # ------------------------------------------------------------------ 食品饮料
    "Coffee Beans": (
        "咖啡豆",
        ("{brand} {origin}咖啡豆 {roast} {weight}", "{brand} {origin}咖啡粉 {roast} {weight}"),
        ("{brand}小批量烘焙的{origin}咖啡。", "{brand} {origin}，{roast}，带有巧克力与水果风味。"),
        {"origin": ("埃塞俄比亚耶加雪菲", "哥伦比亚惠兰", "危地马拉安提瓜", "苏门答腊曼特宁",
                    "肯尼亚AA", "巴西山多斯", "招牌拼配", "意式拼配"),
         "roast": ("浅烘", "中烘", "深烘"), "weight": ("340g", "907g")},
    ),
    "Coffee Filters": (
        "咖啡滤纸",
        ("{brand} 手冲滤杯专用滤纸 {size}号 {count}张", "{brand} 原木色篮式咖啡滤纸 {count}张",
         "{brand} 可重复使用不锈钢滤网 {size}号"),
        ("{brand}滤纸，手冲干净无渣。", "适配常见手冲滤杯与咖啡机。"),
        {"size": SAME, "count": SAME},
    ),
    "Tea": (
        "茶叶",
        ("{brand} {tea}茶包 {bags}袋", "{brand} {tea}散茶 {grams}"),
        ("{brand}{tea}，口感顺滑，香气馥郁。", "来一杯{brand}的{tea}，放松身心。"),
        {"tea": ("英式早餐红茶", "伯爵红茶", "茉莉绿茶", "洋甘菊", "薄荷", "日式煎茶",
                 "香草路易波士", "印度马萨拉"),
         "bags": SAME, "grams": ("100g", "250g")},
    ),
    "Snacks": (
        "休闲零食",
        ("{brand} {mix}混合坚果 {oz}", "{brand} {flavour}蛋白棒 12支装",
         "{brand} 海盐薯片 {pack}", "{brand} {choc}黑巧克力 {pack}"),
        ("{brand}美味零食，办公室和户外都适合。", "{brand}：真材实料，不添加人工香精。"),
        {"mix": ("经典", "热带水果", "Omega-3", "黑巧克力"), "oz": ("454g", "737g"),
         "flavour": ("花生酱", "巧克力豆", "曲奇奶油", "莓果杏仁"),
         "pack": ("6袋装", "12袋装"), "choc": ("海盐", "扁桃仁", "香橙", "85%可可")},
    ),
    # ------------------------------------------------------------------ 宠物生活
    "Dog Food": (
        "狗粮",
        ("{brand} {life}狗粮 {protein}配方 {lb}", "{brand} 无谷狗罐头 {protein} 12罐"),
        ("{brand}为狗狗提供全面均衡的营养。", "{brand}配方，以真实{protein}为首要原料。"),
        {"life": ("幼犬", "成犬", "老年犬", "小型犬成犬"),
         "protein": ("鸡肉米饭", "羊肉糙米", "三文鱼红薯", "牛肉大麦", "火鸡肉"),
         "lb": ("2.3kg", "6.8kg", "13.6kg")},
    ),
    "Cat Food": (
        "猫粮",
        ("{brand} {life}猫粮 {protein}配方 {lb}", "{brand} 主食猫罐头肉酱 {protein} 24罐"),
        ("{brand}为猫咪提供全面均衡的营养。", "{brand}配方，真实{protein}，让猫咪健康快乐。"),
        {"life": ("幼猫", "成猫", "室内成猫", "老年猫"),
         "protein": ("鸡肉", "三文鱼", "金枪鱼", "火鸡肉", "海洋鱼"),
         "lb": ("1.4kg", "3.2kg", "7.3kg")},
    ),
    "Cat Litter": (
        "猫砂",
        ("{brand} 膨润土结团猫砂 {scent} {lb}", "{brand} 轻质结团猫砂 {scent} {lb}",
         "{brand} 松木颗粒猫砂 {lb}"),
        ("{brand}猫砂锁味强，结团紧实，铲屎轻松。", "{brand}低粉尘猫砂。"),
        {"scent": ("无香", "清新香型", "薰衣草香"), "lb": ("4.5kg", "9kg", "18kg")},
    ),
    "Pet Toys": (
        "宠物玩具",
        ("{brand} 狗狗拔河绳结玩具 {size}", "{brand} 发声毛绒狗玩具 {animal}",
         "{brand} 羽毛逗猫棒 {colour}", "{brand} 猫薄荷老鼠玩具 {pack}",
         "{brand} 狗狗橡胶磨牙球 {size}", "{brand} 漏食益智玩具 {size}"),
        ("{brand}，陪毛孩子玩上好几个小时。", "{brand}耐咬玩具，满足好奇心。"),
        {"size": SIZES_ZH, "animal": ("狐狸", "刺猬", "鸭子", "浣熊"),
         "pack": ("2只装", "3只装", "6只装")},
    ),
    "Pet Beds & Carriers": (
        "宠物窝与外出包",
        ("{brand} 记忆棉狗窝 {size} {colour}", "{brand} 甜甜圈安抚宠物窝 {size} {colour}",
         "{brand} 软体宠物外出包 {colour}", "{brand} 猫爬架带猫抓柱 {height}"),
        ("{brand}，给宠物温暖舒适。", "{brand}：可水洗、结实、安抚情绪。"),
        {"size": SIZES_ZH, "height": ("90cm", "140cm")},
    ),
    # ------------------------------------------------------------------ 家居园艺
    "Robot Vacuums": (
        "扫地机器人",
        ("{model} 扫地机器人 {dock} {colour}",),
        ("{model}智能规划全屋地图，支持App预约清扫。",
         "{colour}{model}扫地机器人，大吸力，地毯地板都能清。"),
        {"dock": ("标准充电座", "自动集尘座")},
    ),
    "Vacuum Parts": (
        "扫地机配件",
        ("{model} 替换HEPA滤网 3片装", "{model} 边刷 4只装", "{model} 一次性集尘袋 6只装",
         "{model} 主滚刷"),
        ("{model}原装替换配件。", "让你的{model}清洁如新。"),
        {},
    ),
    "Bedding": (
        "床上用品",
        ("{brand} {fabric}床品四件套 {bed} {colour}", "{brand} 仿羽绒被 {bed} {colour}",
         "{brand} 记忆棉枕头 {pillow}"),
        ("{brand}，睡得更好。", "{brand}床品柔软透气。"),
        {"fabric": ("纯棉", "亚麻", "竹纤维"), "bed": ("1.2m床", "1.5m床", "1.8m床"),
         "pillow": ("标准款", "加大款", "特大款")},
    ),
    "Lighting": (
        "灯具照明",
        ("{brand} 可调光LED台灯 {colour}", "{brand} 智能LED灯泡 等效{watt} {pack}",
         "{brand} 亚麻灯罩落地灯 {colour}", "{brand} 充电式氛围台灯 {colour}",
         "{brand} 暖白光串灯 {length}"),
        ("{brand}温暖可调的灯光。", "{brand}照明，适合每个房间。"),
        {"watt": SAME, "pack": ("2只装", "3只装", "6只装"), "length": ("10米", "20米")},
    ),
    "Home Decor": (
        "家居饰品",
        ("{brand} 陶瓷花瓶 {height} {colour}", "{brand} 针织沙发毯 {colour}",
         "{brand} 亚麻抱枕套 45×45cm {colour}", "{brand} 圆形挂墙镜 {mirror} {frame}",
         "{brand} 大豆蜡香薰蜡烛 {scent}"),
        ("{brand}，让家更有你的味道。", "{brand}简约温暖的家居装饰。"),
        {"height": ("20cm", "30cm"), "mirror": ("50cm", "80cm"),
         "scent": ("无花果雪松", "海盐", "薰衣草", "香草")},
    ),
    "Garden Tools": (
        "园艺工具",
        ("{brand} 园艺修枝剪 {colour}", "{brand} 伸缩浇花水管 {length}",
         "{brand} 人体工学小铲子 {colour}", "{brand} 镀锌洒水壶 {litre}",
         "{brand} 雪松木种植箱 {bedsize}", "{brand} 园艺手套 {size}"),
        ("{brand}结实耐用的园艺工具，让花园生机勃勃。", "{brand}：经得起多年挖掘。"),
        {"size": SIZES_ZH, "length": ("15米", "30米", "50米"), "litre": ("5L", "9L"),
         "bedsize": ("120×60cm", "180×90cm")},
    ),
    # ------------------------------------------------------------------ 美妆个护
    "Electric Toothbrushes": (
        "电动牙刷",
        ("{model} 声波电动牙刷 {colour}",),
        ("{model}每分钟振动31000次，配两分钟定时，清除更多牙菌斑。",
         "{colour}{model}声波牙刷，三种清洁模式。"),
        {},
    ),
    "Brush Heads": (
        "牙刷头",
        ("{model} 替换刷头 {head} 4支装",),
        ("{model}原装{head}刷头。", "每三个月更换一次，让{model}保持最佳清洁效果。"),
        {"head": ("敏感型", "深度清洁型", "美白型")},
    ),
    "Hair Care": (
        "洗发护发",
        ("{brand} {hair}洗发水 {ml}", "{brand} {hair}护发素 {ml}"),
        ("{brand}{hair}护理，秀发柔顺健康。", "{brand}，在家享受沙龙级效果。"),
        {"hair": ("摩洛哥坚果油滋润", "生物素丰盈", "茶树净澈", "护色", "去屑"),
         "ml": ("250ml", "500ml", "1L")},
    ),
    "Skin Care": (
        "护肤",
        ("{brand} {skin}面霜 {ml}", "{brand} 温和泡沫洁面乳 {ml}", "{brand} 维C亮肤精华 {ml}",
         "{brand} 物理防晒霜 SPF{spf} {ml}"),
        ("{brand}护肤品，经皮肤科测试。", "{brand}：温和不刺激，无香精。"),
        {"skin": ("清爽无油", "补水保湿", "夜间修护"), "ml": ("30ml", "50ml", "100ml"),
         "spf": SAME},
    ),
    # ------------------------------------------------------------------ 运动户外
    "Yoga & Fitness": (
        "瑜伽健身",
        ("{brand} 防滑瑜伽垫 {mm} {colour}", "{brand} 软木瑜伽砖 2块装",
         "{brand} 弹力带套装 {level}", "{brand} 可调节哑铃 {lb}",
         "{brand} 高密度泡沫轴 {inch} {colour}"),
        ("{brand}，在家也能练。", "{brand}装备，助力力量、平衡与恢复。"),
        {"mm": ("4mm", "6mm"), "level": ("轻阻力", "中阻力", "重阻力"), "lb": ("11kg", "23kg"),
         "inch": ("30cm", "45cm")},
    ),
    "Camping": (
        "露营装备",
        ("{brand} {person}人圆顶帐篷 {colour}", "{brand} 木乃伊式睡袋 {temp} {colour}",
         "{brand} 自动充气防潮垫 {colour}", "{brand} 充电式露营头灯 {lumen}",
         "{brand} 便携折叠炉具 {fuel}"),
        ("{brand}露营装备，周末说走就走。", "{brand}，经过野外实测。"),
        {"person": SAME, "temp": ("-5℃", "5℃"), "lumen": ("300流明", "600流明"),
         "fuel": ("燃气", "柴火")},
    ),
    "Cycling": (
        "骑行装备",
        ("{brand} 公路车头盔 {size} {colour}", "{brand} 充电式自行车灯套装 {lumen}",
         "{brand} 骑行短裤带坐垫 {size}", "{brand} 带气压表迷你打气筒 {colour}",
         "{brand} 加粗U型锁带钢缆"),
        ("{brand}，骑得更安全、更远。", "{brand}骑行必备。"),
        {"size": ("S码", "M码", "L码"), "lumen": ("400流明", "800流明")},
    ),
    # ------------------------------------------------------------------ 服饰鞋靴
    "Running Shoes": (
        "跑鞋",
        ("{brand} {line} 男款跑步鞋 {colour}", "{brand} {line} 女款跑步鞋 {colour}"),
        ("{brand}跑鞋，缓震回弹。", "{brand} {line}：轻盈透气。"),
        {"line": ("滑翔4", "节拍2", "云跑", "越野Pro", "配速9")},
    ),
    "T-Shirts": (
        "T恤",
        ("{brand} 男士圆领T恤 {fabric} {colour}", "{brand} 女士V领T恤 {fabric} {colour}"),
        ("{brand}柔软舒适的日常T恤。", "{brand}基础款，穿久不变形。"),
        {"fabric": ("有机棉", "美利奴羊毛", "速干面料")},
    ),
    "Jackets": (
        "外套",
        ("{brand} 男士可收纳防雨夹克 {colour}", "{brand} 女士保暖棉服 {colour}",
         "{brand} 半拉链抓绒卫衣 {colour}"),
        ("{brand}，保暖又干爽。", "{brand}外套，应对多变天气。"),
        {},
    ),
    "Socks": (
        "袜子",
        ("{brand} 加厚毛圈短袜 {pack} {colour}", "{brand} 美利奴羊毛徒步袜 {pack} {colour}"),
        ("{brand}袜子舒适耐穿。", "{brand}：该厚的地方都加厚了。"),
        {"pack": ("2双装", "3双装", "6双装")},
    ),
    # ------------------------------------------------------------------ 母婴玩具
    "Diapers": (
        "纸尿裤",
        ("{brand} 婴儿纸尿裤 {n}码 {count}片", "{brand} 夜用纸尿裤 {n}码 {count}片"),
        ("{brand}纸尿裤柔软防漏。", "{brand}：长达12小时干爽。"),
        {"n": ("NB", "S", "M", "L", "XL"), "count": SAME},
    ),
    "Baby Wipes": (
        "婴儿湿巾",
        ("{brand} 无香婴儿湿巾 {pack}", "{brand} 敏感肌纯水湿巾 {pack}",
         "{brand} 可冲散儿童湿厕纸 {pack}"),
        ("{brand}湿巾温和，适合敏感肌肤。", "{brand}：99%纯水，无香精。"),
        {"pack": ("64抽×4包", "64抽×8包", "80抽×12包")},
    ),
    "Building Sets": (
        "积木拼装",
        ("{brand} {theme}拼装积木 {pcs}颗粒",),
        ("和{brand}一起搭建{theme}。", "{brand}，带来数小时的创意乐趣。"),
        {"theme": ("太空站", "城堡", "城市消防局", "海盗船", "恐龙公园", "赛车", "树屋",
                   "机器人工坊"),
         "pcs": ("250", "500", "1200")},
    ),
    "Puzzles & Games": (
        "拼图桌游",
        ("{brand} {pcs}片拼图 {scene}", "{brand} {game}家庭桌游"),
        ("{brand}，全家一起玩。", "{brand}：适合8岁及以上。"),
        {"pcs": SAME,
         "scene": ("山间湖泊", "星空", "珊瑚礁", "古镇集市", "野花", "黄昏灯塔"),
         "game": ("宝藏岛", "巨龙竞速", "星际商人", "汉字塔", "城堡探险", "机器人拉力赛")},
    ),
}

# Device model series in Chinese where a Chinese shop would name them so (the rest
# stay Latin, "极光 X5", "隼翼 Book 14"); numbers stay as they are.
_SERIES: dict[str, tuple[str, ...]] = {
    "Espresso Machines": ("双享", "经典", "咖啡师", "迷你"),
    "Electric Toothbrushes": ("Pro ", "净澈", "智能"),
}

_NAMES = {en: zh[0] for en, zh in _ZH.items()}


def _mirror(leaf: Leaf) -> Leaf:
    """The Chinese leaf of one English leaf."""
    name, fmts, blurbs, given = _ZH[leaf.name]
    axes: dict[str, tuple[str, ...]] = {}
    for key, values in leaf.axes.items():
        if key == "brand":
            axes[key] = tuple(BRANDS[v] for v in values)
        elif key in COLOUR_AXES:
            axes[key] = tuple(COLOURS[v] for v in values)
        else:
            zh = given[key]  # a KeyError here: an axis left untranslated
            axes[key] = values if zh is SAME else zh
    return replace(
        leaf,
        dept=DEPARTMENTS_ZH[leaf.dept],
        name=name,
        fmts=fmts,
        axes=axes,
        blurbs=blurbs,
        parent=_NAMES[leaf.parent] if leaf.parent else "",
        complements=tuple(_NAMES[c] for c in leaf.complements),
        series=_SERIES.get(leaf.name, leaf.series),
    )


LEAVES_ZH: tuple[Leaf, ...] = tuple(_mirror(leaf) for leaf in LEAVES)

#: every Chinese colour value used in a colour axis -> its English name
COLOURS_ZH_EN: dict[str, str] = {
    COLOURS[en]: en
    for leaf in LEAVES
    for key in COLOUR_AXES
    for en in leaf.axes.get(key, ())
}
