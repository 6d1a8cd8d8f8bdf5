"""The words the demo catalogue is built from: departments, leaf categories, brands.

Every leaf category is one :class:`Leaf`. Titles are built from its format
strings (``fmts``) by filling the ``{placeholders}`` with values from ``axes``;
device leaves also get generated model names (``{model}``, e.g. "Aurora X5"),
and accessory leaves name the models of their parent device leaf. All brands
and models are invented.

Kinds:

- ``device``: a product that has accessories made for it (phones, printers...).
- ``accessory``: made for one device model; the title names the model.
  With ``interval > 0`` the accessory is also a consumable (ink, brush heads).
- ``consumable``: bought again after about ``interval`` days.
- ``regular``: everything else.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

DEVICE, ACCESSORY, CONSUMABLE, REGULAR = "device", "accessory", "consumable", "regular"


@dataclass(frozen=True, eq=False)
class Leaf:
    """One leaf category of the catalogue.

    Attributes:
        dept: the department (top level of the category path).
        name: the leaf name; the category string is ``"{dept} > {name}"``.
        kind: ``device``, ``accessory``, ``consumable`` or ``regular``.
        fmts: title formats; each is a product type.
        axes: values per placeholder (``brand``, ``colour``...).
        blurbs: description sentences, formatted with the same fields as the title.
        share: regular/consumable: relative number of items; device: number of
            models in the full-size catalogue.
        appeal: how often users shop this leaf, relative to its department siblings.
        interval: days between repeat purchases (0: not a consumable).
        parent: accessory: the name of the device leaf whose models it fits.
        complements: leaves that often come next (a pour-over dripper, then filters).
        series, numbers: device: the parts of model names ("X" + "5" -> "X5").
    """

    dept: str
    name: str
    kind: str
    fmts: tuple[str, ...]
    axes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    blurbs: tuple[str, ...] = ()
    share: float = 1.0
    appeal: float = 1.0
    interval: float = 0.0
    parent: str = ""
    complements: tuple[str, ...] = ()
    series: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()

    @property
    def category(self) -> str:
        """The category string, ``"Department > Leaf"``."""
        return f"{self.dept} > {self.name}"


BASIC = ("Black", "White", "Grey", "Navy", "Red", "Green", "Beige", "Blue")
PHONE_COLOURS = (
    "Midnight Blue", "Graphite", "Silver", "Coral Red", "Forest Green", "Starlight White",
    "Lavender", "Sunset Orange",
)
CASE_COLOURS = ("Black", "Clear", "Navy Blue", "Olive Green", "Blush Pink", "Sky Blue")
EARTH = ("Sand", "Olive", "Charcoal", "Slate Blue", "Rust", "Stone Grey")
SIZES = ("Small", "Medium", "Large")
PACKS = ("2-Pack", "3-Pack", "6-Pack")

PH, CO, EL, KI, GR = (
    "Phones & Wearables", "Computers & Office", "Electronics", "Kitchen & Dining", "Grocery",
)
PE, HO, BE, SP, CL, BA = (
    "Pet Supplies", "Home & Garden", "Beauty & Personal Care", "Sports & Outdoors",
    "Clothing & Shoes", "Baby & Toys",
)

LEAVES: tuple[Leaf, ...] = (
    # ----------------------------------------------------------- Phones & Wearables
    Leaf(
        PH, "Phones", DEVICE,
        ("{model} Smartphone {storage}, {colour}",),
        {"brand": ("Aurora", "Veltra", "Nimbus", "Kairo", "Zentek"),
         "storage": ("64GB", "128GB", "256GB", "512GB"), "colour": PHONE_COLOURS},
        ("The {model} pairs a 6.5-inch OLED display with an all-day battery and {storage} of "
         "storage.",
         "A {colour} {model} smartphone with a triple-lens camera, 5G and fast charging."),
        share=22, appeal=1.2, series=("X", "S", "Note ", "Edge ", "Lite ", "Max "),
        numbers=("3", "5", "7", "9", "10", "12", "14"),
    ),
    Leaf(
        PH, "Phone Accessories", ACCESSORY,
        ("Silicone Case for {model}, {colour}", "Clear Shockproof Case for {model}",
         "Tempered Glass Screen Protector for {model}, 2-Pack",
         "Leather Wallet Case for {model}, {leather}", "Camera Lens Protector for {model}",
         "Wireless Charging Stand for {model}", "Rugged Armor Case for {model}, {colour}"),
        {"colour": CASE_COLOURS, "leather": ("Brown", "Black", "Tan")},
        ("Made for the {model}, with precise cut-outs for every button and port.",
         "Protects your {model} from drops and scratches without adding bulk."),
        appeal=1.0, parent="Phones",
    ),
    Leaf(
        PH, "Smartwatches", DEVICE,
        ("{model} Smartwatch {case}, {colour}",),
        {"brand": ("Pulse", "Aurora", "Kairo", "Strider"), "case": ("41mm", "45mm"),
         "colour": ("Graphite", "Silver", "Rose Gold", "Midnight", "Olive")},
        ("The {model} tracks heart rate, sleep and workouts, with GPS and a week of battery.",
         "A {case} {model} smartwatch with an always-on display and contactless payments."),
        share=12, appeal=0.7, series=("Fit ", "Run ", "Active ", "Watch "),
        numbers=("2", "3", "4", "5", "6"),
    ),
    Leaf(
        PH, "Watch Accessories", ACCESSORY,
        ("Sport Band for {model}, {colour}", "Magnetic Charging Cable for {model}",
         "Bumper Case for {model}, 2-Pack", "Stainless Steel Mesh Band for {model}, {metal}",
         "Screen Protector Film for {model}, 3-Pack"),
        {"colour": ("Black", "Coral", "Sea Blue", "Lime", "Sand"),
         "metal": ("Silver", "Gold", "Black")},
        ("Fits the {model} and snaps on in seconds.",
         "A comfortable, durable accessory made for the {model}."),
        appeal=0.6, parent="Smartwatches",
    ),
    Leaf(
        PH, "Headphones", REGULAR,
        ("{brand} Wireless Noise-Cancelling Headphones {line}, {colour}",
         "{brand} True Wireless Earbuds {line}, {colour}",
         "{brand} Open-Ear Sports Earbuds {line}, {colour}"),
        {"brand": ("Sonara", "Echo Lane", "Basswell", "Tunecraft", "Aurora"),
         "line": ("Q20", "Q35", "S1", "S2", "Air 3", "Pro 2"),
         "colour": ("Black", "White", "Navy", "Sage Green", "Sand")},
        ("Rich, balanced sound from {brand} with up to 30 hours of playback.",
         "{brand} audio with active noise cancelling and a clear call microphone."),
        share=1.3, appeal=1.0,
    ),
    # ----------------------------------------------------------- Computers & Office
    Leaf(
        CO, "Laptops", DEVICE,
        ("{model} Laptop, {ram} RAM, {ssd} SSD, {colour}",),
        {"brand": ("Kestrel", "Orbis", "Zentek", "Nimbus"), "ram": ("8GB", "16GB", "32GB"),
         "ssd": ("256GB", "512GB", "1TB"), "colour": ("Space Grey", "Silver", "Midnight")},
        ("The {model} is a thin, light laptop with {ram} of memory and a {ssd} SSD.",
         "Work anywhere with the {model}: a sharp display, a quiet keyboard and long battery "
         "life."),
        share=14, appeal=1.0, series=("Book ", "Air ", "Pro ", "Studio ", "Flex "),
        numbers=("13", "14", "15", "16"),
    ),
    Leaf(
        CO, "Laptop Accessories", ACCESSORY,
        ("Padded Laptop Sleeve for {model}, {colour}", "65W USB-C Power Adapter for {model}",
         "Silicone Keyboard Cover for {model}", "USB-C Docking Station for {model}",
         "Hard Shell Case for {model}, {colour}", "Privacy Screen Filter for {model}"),
        {"colour": ("Black", "Grey", "Navy", "Blush Pink", "Clear")},
        ("Sized and tested for the {model}.",
         "An everyday accessory for the {model}, built to last."),
        appeal=0.8, parent="Laptops",
    ),
    Leaf(
        CO, "Tablets", DEVICE,
        ("{model} Tablet, {storage}, Wi-Fi, {colour}",
         "{model} Tablet, {storage}, Wi-Fi + Cellular, {colour}"),
        {"brand": ("Veltra", "Aurora", "Nimbus", "Orbis"),
         "storage": ("64GB", "128GB", "256GB"), "colour": ("Silver", "Space Grey", "Blue")},
        ("The {model} tablet has a bright 11-inch display for reading, drawing and video.",
         "A {colour} {model} tablet with {storage} of storage and all-day battery."),
        share=12, appeal=0.8, series=("Tab ", "Pad ", "Slate "),
        numbers=("S7", "S8", "10", "11", "Mini 6"),
    ),
    Leaf(
        CO, "Tablet Accessories", ACCESSORY,
        ("Smart Folio Cover for {model}, {colour}", "Active Stylus Pen for {model}",
         "Paper-Feel Screen Protector for {model}", "Bluetooth Keyboard Case for {model}",
         "Kids Shockproof Case for {model}, {colour}"),
        {"colour": ("Black", "Charcoal", "Navy", "Red", "Lilac")},
        ("Designed around the {model}, with a precise fit.",
         "Get more from your {model} with this accessory."),
        appeal=0.6, parent="Tablets",
    ),
    Leaf(
        CO, "Printers", DEVICE,
        ("{model} Wireless All-in-One Printer, {colour}",),
        {"brand": ("Inkwell", "Printa", "Docuprime"), "colour": ("White", "Black")},
        ("The {model} prints, scans and copies over Wi-Fi, with automatic two-sided printing.",
         "A compact {model} all-in-one printer for home and small offices."),
        share=12, appeal=0.6, series=("Jet ", "Office ", "Photo ", "Smart "),
        numbers=("2600", "3520", "4100", "5200", "6800", "7700"),
        complements=("Office Supplies",),
    ),
    Leaf(
        CO, "Ink & Toner", ACCESSORY,
        ("Black Ink Cartridge for {model}", "Tri-Colour Ink Cartridge for {model}",
         "High-Yield Black Ink Cartridge for {model}",
         "Ink Cartridge Combo Pack for {model}, Black and Colour"),
        {},
        ("Genuine ink for the {model}: sharp text and vivid colour.",
         "Replacement cartridge made for the {model} printer."),
        appeal=0.8, interval=70, parent="Printers",
    ),
    Leaf(
        CO, "Office Supplies", CONSUMABLE,
        ("{brand} Multipurpose Copy Paper, {paper}, {sheets} Sheets",
         "{brand} Gel Ink Pens, {ink}, {pack}", "{brand} Sticky Notes {note}, {notecol}, {pack}",
         "{brand} Spiral Notebook, {ruling}, {pack}"),
        {"brand": ("Paperline", "Scriba", "Officio", "Notewell", "Deskmate"),
         "paper": ("A4", "Letter Size"),
         "sheets": ("500", "2500"), "ink": ("Black", "Blue", "Assorted Colours"),
         "pack": ("12-Pack", "24-Pack"), "note": ("3 x 3 in", "4 x 6 in"),
         "notecol": ("Pastel", "Neon", "Yellow"), "ruling": ("College Ruled", "Dot Grid")},
        ("Everyday office essentials from {brand}.",
         "Reliable {brand} supplies for home and work."),
        share=0.9, appeal=0.8, interval=45,
    ),
    Leaf(
        CO, "Desk Accessories", REGULAR,
        ("{brand} Wireless Ergonomic Mouse, {colour}",
         "{brand} Mechanical Keyboard, {switch} Switches, {colour}",
         "{brand} Adjustable Aluminium Laptop Stand, {colour}",
         "{brand} Monitor Light Bar, {colour}", "{brand} Felt Desk Mat {mat}, {colour}"),
        {"brand": ("Deskhaven", "Keystone", "Ergolab", "Orbis"),
         "switch": ("Red", "Brown", "Blue"), "colour": ("Black", "White", "Grey", "Navy"),
         "mat": ("80 x 30 cm", "90 x 40 cm")},
        ("A tidy, comfortable desk with {brand}.", "{brand} design for long working days."),
        share=1.0, appeal=0.9, complements=("Office Supplies",),
    ),
    # ------------------------------------------------------------------ Electronics
    Leaf(
        EL, "Cameras", DEVICE,
        ("{model} Mirrorless Camera, {kit}",),
        {"brand": ("Orion", "Lumora", "Fotek"),
         "kit": ("Body Only", "with 18-55mm Lens", "with 24-105mm Lens")},
        ("The {model} shoots 24-megapixel stills and 4K video with fast autofocus.",
         "A compact {model} mirrorless camera, {kit}."),
        share=10, appeal=0.6, series=("Z", "A", "M", "R"), numbers=("30", "50", "6", "7", "90"),
    ),
    Leaf(
        EL, "Camera Accessories", ACCESSORY,
        ("Rechargeable Battery for {model}", "Padded Camera Bag for {model}, {colour}",
         "LCD Screen Protector for {model}", "Vertical Battery Grip for {model}",
         "Dual Battery Charger for {model}"),
        {"colour": ("Black", "Grey", "Khaki")},
        ("Built for the {model}, for longer shoots.",
         "Keeps your {model} ready for the next shot."),
        appeal=0.5, parent="Cameras",
    ),
    Leaf(
        EL, "Game Consoles", DEVICE,
        ("{model} Game Console, {storage}, {colour}",),
        {"brand": ("Nova", "Arcadia", "Pixelon"), "storage": ("512GB", "1TB", "2TB"),
         "colour": ("Black", "White")},
        ("The {model} plays the latest games in 4K at up to 120 frames per second.",
         "A {colour} {model} console with {storage} of storage and a wireless controller."),
        share=6, appeal=0.7, series=("Play ", "Core ", "Go "), numbers=("4", "5", "One", "X"),
    ),
    Leaf(
        EL, "Gaming Accessories", ACCESSORY,
        ("Wireless Controller for {model}, {colour}", "Dual Controller Charging Dock for {model}",
         "Gaming Headset for {model}, {colour}", "Vertical Stand with Cooling Fan for {model}",
         "Media Remote for {model}"),
        {"colour": ("Black", "White", "Cobalt Blue", "Volcanic Red")},
        ("Officially licensed for the {model}.", "Level up your {model} setup."),
        appeal=0.7, parent="Game Consoles",
    ),
    Leaf(
        EL, "Video Games", ACCESSORY,
        ("{game} for {model}",),
        {"game": ("Starfall Odyssey", "Iron Tide", "Kingdom of Ash", "Neon Circuit Racing",
                  "Dragonvale Chronicles", "Super Kart Rally", "Shadow Protocol",
                  "Harvest Hollow", "Goal Rush 25", "Skyward Legends", "Deep Sea Salvage",
                  "Frontier Tactics")},
        ("{game}, the {model} edition.", "Play {game} on your {model}."),
        appeal=0.8, parent="Game Consoles",
    ),
    Leaf(
        EL, "Cables & Chargers", REGULAR,
        ("{brand} Braided USB-C to USB-C Cable, {length}, {colour}",
         "{brand} Portable Power Bank {mah}, {colour}",
         "{brand} {watt} GaN USB-C Wall Charger, {colour}", "{brand} HDMI 2.1 Cable, {length}"),
        {"brand": ("Voltix", "Chargeon", "Linkwire", "Zentek", "Powerloop"),
         "length": ("1 m", "2 m", "3 m"), "colour": ("Black", "White", "Grey"),
         "mah": ("10,000mAh", "20,000mAh"), "watt": ("30W", "65W", "100W")},
        ("Fast, safe charging from {brand}.", "{brand} cables and power, tested for durability."),
        share=1.0, appeal=1.0,
    ),
    # ------------------------------------------------------------- Kitchen & Dining
    Leaf(
        KI, "Espresso Machines", DEVICE,
        ("{model} Espresso Machine, {finish}",),
        {"brand": ("Brewmaster", "Crema", "Caffeluxe"),
         "finish": ("Stainless Steel", "Matte Black", "Cream")},
        ("The {model} pulls cafe-quality espresso with a 15-bar pump and a steam wand.",
         "A {finish} {model} espresso machine for lattes and cappuccinos at home."),
        share=10, appeal=0.6, series=("Duo ", "Classic ", "Barista ", "Compact "),
        numbers=("100", "300", "500", "Pro"),
    ),
    Leaf(
        KI, "Espresso Supplies", ACCESSORY,
        ("Descaling Solution for {model}, 2-Pack", "Water Filter Cartridge for {model}",
         "{roast} Espresso Capsules for {model}, 50 Count"),
        {"roast": ("Intense", "Classic", "Decaf", "Lungo")},
        ("Keeps your {model} brewing at its best.", "Made for the {model} espresso machine."),
        appeal=0.6, interval=35, parent="Espresso Machines",
    ),
    Leaf(
        KI, "Coffee Gear", REGULAR,
        ("{brand} Ceramic Pour-Over Coffee Dripper, {colour}",
         "{brand} Conical Burr Coffee Grinder, {colour}",
         "{brand} Gooseneck Electric Kettle {litre}, {colour}",
         "{brand} Glass French Press {litre}, {colour}"),
        {"brand": ("Kettle & Co", "Pourwell", "Bloom Brew", "Caffeluxe"),
         "colour": ("White", "Black", "Sage", "Terracotta", "Matte Black"),
         "litre": ("0.6 L", "1 L")},
        ("Brew a better cup at home with {brand}.",
         "{brand} coffee gear for a slow, careful morning brew."),
        share=0.9, appeal=1.0, complements=("Coffee Beans", "Coffee Filters"),
    ),
    Leaf(
        KI, "Cookware", REGULAR,
        ("{brand} Nonstick Frying Pan {cm}, {colour}", "{brand} Cast Iron Skillet {inch}",
         "{brand} Stainless Steel Saucepan with Lid {litre}",
         "{brand} Enameled Dutch Oven {qt}, {colour}", "{brand} Chef's Knife {inch}"),
        {"brand": ("Hearthstone", "Copperline", "Ironwood", "Cucina Viva"),
         "cm": ("20 cm", "24 cm", "28 cm"), "inch": ("8-inch", "10-inch", "12-inch"),
         "litre": ("1.5 L", "2.5 L"), "qt": ("4.5 qt", "6 qt"),
         "colour": ("Black", "Red", "Cream", "Teal")},
        ("Durable {brand} cookware for everyday cooking.",
         "{brand} heats evenly and cleans up easily."),
        share=1.1, appeal=1.0, complements=("Small Appliances",),
    ),
    Leaf(
        KI, "Small Appliances", REGULAR,
        ("{brand} High-Speed Blender {watt}, {colour}", "{brand} 2-Slice Toaster, {colour}",
         "{brand} Digital Air Fryer {qt}, {colour}", "{brand} Stand Mixer {qt}, {colour}",
         "{brand} Electric Rice Cooker, {cups}, {colour}"),
        {"brand": ("Kitchara", "Homeline", "Brewmaster", "Cucina Viva"),
         "watt": ("900W", "1200W"), "qt": ("4 qt", "5.5 qt"), "cups": ("3 Cups", "6 Cups"),
         "colour": ("Black", "White", "Red", "Stainless Steel")},
        ("A reliable {brand} appliance that saves time in the kitchen.",
         "{brand} makes quick work of weeknight meals."),
        share=1.0, appeal=0.9,
    ),
    Leaf(
        KI, "Drinkware", REGULAR,
        ("{brand} Insulated Water Bottle {oz}, {colour}",
         "{brand} Stainless Steel Travel Mug {oz}, {colour}",
         "{brand} Double-Wall Glass Mugs, Set of {n}"),
        {"brand": ("Hydra", "Trailmate", "Kettle & Co", "Glassworks"),
         "oz": ("12 oz", "20 oz", "32 oz"), "n": ("2", "4"),
         "colour": ("Black", "White", "Sage", "Ocean Blue", "Sunset Orange")},
        ("{brand} keeps drinks cold for 24 hours or hot for 12.",
         "Everyday {brand} drinkware, dishwasher safe."),
        share=0.8, appeal=0.8,
    ),
    # ------------------------------------------------------------------------ Grocery
    Leaf(
        GR, "Coffee Beans", CONSUMABLE,
        ("{brand} {origin} Whole Bean Coffee, {roast} Roast, {weight}",
         "{brand} {origin} Ground Coffee, {roast} Roast, {weight}"),
        {"brand": ("Highland Roasters", "Morning Ritual", "Bean & Bloom", "Copper Kettle Coffee",
                   "Altitude"),
         "origin": ("Ethiopia Yirgacheffe", "Colombia Huila", "Guatemala Antigua",
                    "Sumatra Mandheling", "Kenya AA", "Brazil Santos", "House Blend",
                    "Espresso Blend"),
         "roast": ("Light", "Medium", "Dark"), "weight": ("12 oz", "2 lb")},
        ("{origin} coffee, roasted in small batches by {brand}.",
         "{brand} {origin}, {roast} roast, with notes of chocolate and fruit."),
        share=1.2, appeal=1.3, interval=21, complements=("Coffee Filters", "Coffee Gear"),
    ),
    Leaf(
        GR, "Coffee Filters", CONSUMABLE,
        ("{brand} Paper Coffee Filters for Pour-Over Drippers, Size {size}, {count} Count",
         "{brand} Unbleached Basket Coffee Filters, {count} Count",
         "{brand} Reusable Stainless Steel Pour-Over Filter, Size {size}"),
        {"brand": ("Pourwell", "Bloom Brew", "Filtra", "Morning Ritual"),
         "size": ("01", "02", "04"), "count": ("100", "200", "400")},
        ("{brand} filters for a clean, sediment-free pour-over cup.",
         "Fits standard pour-over drippers and coffee makers."),
        share=0.5, appeal=0.7, interval=45, complements=("Coffee Beans",),
    ),
    Leaf(
        GR, "Tea", CONSUMABLE,
        ("{brand} {tea} Tea, {bags} Tea Bags", "{brand} Loose Leaf {tea} Tea, {grams}"),
        {"brand": ("Leaf & Kettle", "Twinfield", "Misty Peak", "Chaiwala"),
         "tea": ("English Breakfast", "Earl Grey", "Jasmine Green", "Chamomile", "Peppermint",
                 "Sencha", "Rooibos Vanilla", "Masala Chai"),
         "bags": ("20", "50", "100"), "grams": ("100 g", "250 g")},
        ("{brand} {tea} tea, blended for a smooth, fragrant cup.",
         "A calming cup of {tea} from {brand}."),
        share=0.9, appeal=0.9, interval=30,
    ),
    Leaf(
        GR, "Snacks", CONSUMABLE,
        ("{brand} {mix} Trail Mix, {oz}", "{brand} {flavour} Protein Bars, 12-Pack",
         "{brand} Sea Salt Kettle Chips, {pack}", "{brand} Dark Chocolate {choc} Bar, {pack}"),
        {"brand": ("Nutshell", "Trailhead Foods", "Goodcrave", "Cocoa Grove", "Crunchwell"),
         "mix": ("Classic", "Tropical", "Omega-3", "Dark Chocolate"), "oz": ("16 oz", "26 oz"),
         "flavour": ("Peanut Butter", "Chocolate Chip", "Cookies and Cream", "Berry Almond"),
         "pack": ("6-Pack", "12-Pack"), "choc": ("Sea Salt", "Almond", "Orange", "85% Cacao")},
        ("Tasty snacks from {brand} for the office or the trail.",
         "{brand}: real ingredients, no artificial flavours."),
        share=0.8, appeal=0.9, interval=14,
    ),
    # -------------------------------------------------------------------- Pet Supplies
    Leaf(
        PE, "Dog Food", CONSUMABLE,
        ("{brand} {life} Dry Dog Food, {protein} Recipe, {lb}",
         "{brand} Grain-Free Wet Dog Food, {protein}, 12 Cans"),
        {"brand": ("Happy Paws", "Wildtrail", "Barkwell", "NutriPet"),
         "life": ("Puppy", "Adult", "Senior", "Small Breed Adult"),
         "protein": ("Chicken and Rice", "Lamb and Brown Rice", "Salmon and Sweet Potato",
                     "Beef and Barley", "Turkey"),
         "lb": ("5 lb", "15 lb", "30 lb")},
        ("Complete, balanced nutrition for dogs from {brand}.",
         "{brand} recipe with real {protein} as the first ingredient."),
        share=1.0, appeal=1.0, interval=30, complements=("Pet Toys",),
    ),
    Leaf(
        PE, "Cat Food", CONSUMABLE,
        ("{brand} {life} Dry Cat Food, {protein} Recipe, {lb}",
         "{brand} Wet Cat Food Pate, {protein}, 24 Cans"),
        {"brand": ("Happy Paws", "Whiskerly", "Purrfect", "NutriPet"),
         "life": ("Kitten", "Adult", "Indoor Adult", "Senior"),
         "protein": ("Chicken", "Salmon", "Tuna", "Turkey", "Ocean Fish"),
         "lb": ("3 lb", "7 lb", "16 lb")},
        ("Complete, balanced nutrition for cats from {brand}.",
         "{brand} recipe with real {protein} for healthy, happy cats."),
        share=1.0, appeal=1.0, interval=21, complements=("Cat Litter",),
    ),
    Leaf(
        PE, "Cat Litter", CONSUMABLE,
        ("{brand} Clumping Cat Litter, {scent}, {lb}",
         "{brand} Lightweight Clumping Cat Litter, {scent}, {lb}",
         "{brand} Pine Pellet Cat Litter, {lb}"),
        {"brand": ("Whiskerly", "Clumpwell", "FreshPaws"),
         "scent": ("Unscented", "Fresh Scent", "Lavender"), "lb": ("10 lb", "20 lb", "40 lb")},
        ("{brand} litter locks in odour and clumps firmly for easy scooping.",
         "Low-dust {brand} cat litter."),
        share=0.5, appeal=0.7, interval=28, complements=("Cat Food",),
    ),
    Leaf(
        PE, "Pet Toys", REGULAR,
        ("{brand} Rope Tug Toy for Dogs, {size}", "{brand} Squeaky Plush Dog Toy, {animal}",
         "{brand} Interactive Feather Wand for Cats, {colour}",
         "{brand} Catnip Mice for Cats, {pack}", "{brand} Rubber Chew Ball for Dogs, {size}",
         "{brand} Treat-Dispensing Puzzle Toy, {size}"),
        {"brand": ("Happy Paws", "Barkwell", "Whiskerly", "Playpup", "Fetchly"), "size": SIZES,
         "animal": ("Fox", "Hedgehog", "Duck", "Raccoon"), "colour": ("Pink", "Blue", "Rainbow"),
         "pack": PACKS},
        ("Hours of play from {brand}.", "A durable {brand} toy for curious pets."),
        share=0.8, appeal=0.8,
    ),
    Leaf(
        PE, "Pet Beds & Carriers", REGULAR,
        ("{brand} Orthopedic Dog Bed, {size}, {colour}",
         "{brand} Calming Donut Pet Bed, {size}, {colour}",
         "{brand} Soft-Sided Pet Carrier, {colour}",
         "{brand} Cat Tree with Scratching Posts, {height}"),
        {"brand": ("Snoozy", "Barkwell", "Whiskerly", "Nestwell"), "size": SIZES,
         "colour": ("Grey", "Beige", "Navy", "Mocha"), "height": ("90 cm", "140 cm")},
        ("Cosy comfort for pets from {brand}.", "{brand}: washable, sturdy and calming."),
        share=0.7, appeal=0.6,
    ),
    # ------------------------------------------------------------------ Home & Garden
    Leaf(
        HO, "Robot Vacuums", DEVICE,
        ("{model} Robot Vacuum with {dock}, {colour}",),
        {"brand": ("Sweepa", "Dustin", "Robomop"), "dock": ("Standard Dock", "Self-Empty Base"),
         "colour": ("Black", "White")},
        ("The {model} maps your home and vacuums on a schedule, with app control.",
         "A {colour} {model} robot vacuum with strong suction for carpets and hard floors."),
        share=8, appeal=0.5, series=("R", "S", "Q"), numbers=("5", "7", "9", "11"),
    ),
    Leaf(
        HO, "Vacuum Parts", ACCESSORY,
        ("Replacement HEPA Filters for {model}, 3-Pack", "Side Brushes for {model}, 4-Pack",
         "Disposable Dust Bags for {model}, 6-Pack", "Main Roller Brush for {model}"),
        {},
        ("Genuine replacement parts for the {model}.",
         "Keep your {model} cleaning like new."),
        appeal=0.5, interval=90, parent="Robot Vacuums",
    ),
    Leaf(
        HO, "Bedding", REGULAR,
        ("{brand} {fabric} Sheet Set, {bed}, {colour}",
         "{brand} Down-Alternative Comforter, {bed}, {colour}",
         "{brand} Memory Foam Pillow, {pillow}"),
        {"brand": ("Dreamwell", "Linenhaus", "Nestwell", "Cloudrest"),
         "fabric": ("Cotton Percale", "Linen", "Bamboo"),
         "bed": ("Twin", "Queen", "King"), "colour": ("White", "Sage", "Slate", "Blush"),
         "pillow": ("Standard", "Queen", "King")},
        ("Sleep better with {brand}.", "Soft, breathable bedding from {brand}."),
        share=1.0, appeal=0.9, complements=("Home Decor",),
    ),
    Leaf(
        HO, "Lighting", REGULAR,
        ("{brand} Dimmable LED Desk Lamp, {colour}",
         "{brand} Smart LED Bulbs {watt} Equivalent, {pack}",
         "{brand} Linen Drum Floor Lamp, {colour}", "{brand} Rechargeable Table Lamp, {colour}",
         "{brand} Warm White String Lights, {length}"),
        {"brand": ("Lumen & Co", "Brightnest", "Glowhaus", "Lampwright"),
         "colour": ("Black", "White", "Brass", "Matte Green", "Walnut", "Grey"),
         "watt": ("60W", "100W"), "pack": PACKS, "length": ("10 m", "20 m")},
        ("Warm, adjustable light from {brand}.", "{brand} lighting for every room."),
        share=0.8, appeal=0.8,
    ),
    Leaf(
        HO, "Home Decor", REGULAR,
        ("{brand} Ceramic Vase {height}, {colour}", "{brand} Woven Throw Blanket, {colour}",
         "{brand} Linen Cushion Cover 45 x 45 cm, {colour}",
         "{brand} Round Wall Mirror {mirror}, {frame}", "{brand} Scented Soy Candle, {scent}"),
        {"brand": ("Casa Calma", "Nestwell", "Hearth & Home", "Linenhaus", "Claywork"),
         "height": ("20 cm", "30 cm"), "colour": ("Terracotta", "Sage", "Cream", "Charcoal"),
         "mirror": ("50 cm", "80 cm"), "frame": ("Gold Frame", "Black Frame"),
         "scent": ("Fig and Cedar", "Sea Salt", "Lavender", "Vanilla Bean")},
        ("Make your home feel like yours with {brand}.", "Simple, warm decor from {brand}."),
        share=1.0, appeal=0.8,
    ),
    Leaf(
        HO, "Garden Tools", REGULAR,
        ("{brand} Bypass Pruning Shears, {colour}", "{brand} Expandable Garden Hose, {length}",
         "{brand} Ergonomic Hand Trowel, {colour}", "{brand} Galvanized Watering Can, {litre}",
         "{brand} Cedar Raised Garden Bed, {bedsize}", "{brand} Gardening Gloves, {size}"),
        {"brand": ("Greenthumb", "Rootwell", "Fieldcraft", "Gardencraft"),
         "colour": ("Green", "Orange", "Black", "Blue"), "size": SIZES,
         "length": ("15 m", "30 m", "50 m"), "litre": ("5 L", "9 L"),
         "bedsize": ("120 x 60 cm", "180 x 90 cm")},
        ("Sturdy {brand} tools for a thriving garden.", "{brand}: built for years of digging."),
        share=0.6, appeal=0.6,
    ),
    # --------------------------------------------------------- Beauty & Personal Care
    Leaf(
        BE, "Electric Toothbrushes", DEVICE,
        ("{model} Sonic Electric Toothbrush, {colour}",),
        {"brand": ("Dentra", "Brightly", "Sonicor"), "colour": ("White", "Black", "Pink", "Mint")},
        ("The {model} removes more plaque with 31,000 strokes a minute and a 2-minute timer.",
         "A {colour} {model} sonic toothbrush with three cleaning modes."),
        share=8, appeal=0.6, series=("Pro ", "Clean ", "Smart "),
        numbers=("300", "500", "1000", "3000"),
    ),
    Leaf(
        BE, "Brush Heads", ACCESSORY,
        ("Replacement Brush Heads for {model}, {head}, 4-Pack",),
        {"head": ("Sensitive", "Deep Clean", "Whitening")},
        ("Genuine {head} brush heads for the {model}.",
         "Replace every three months for the best clean from your {model}."),
        appeal=0.6, interval=90, parent="Electric Toothbrushes",
    ),
    Leaf(
        BE, "Hair Care", CONSUMABLE,
        ("{brand} {hair} Shampoo, {ml}", "{brand} {hair} Conditioner, {ml}"),
        {"brand": ("Lumiere", "Botanica", "Silkroot", "Purely"),
         "hair": ("Moisturizing Argan Oil", "Volumizing Biotin", "Clarifying Tea Tree",
                  "Color-Protect", "Anti-Dandruff"),
         "ml": ("250 ml", "500 ml", "1 L")},
        ("{brand} {hair} care for soft, healthy hair.", "Salon-quality results from {brand}."),
        share=0.9, appeal=1.0, interval=40, complements=("Skin Care",),
    ),
    Leaf(
        BE, "Skin Care", CONSUMABLE,
        ("{brand} {skin} Face Moisturizer, {ml}", "{brand} Gentle Foaming Cleanser, {ml}",
         "{brand} Vitamin C Brightening Serum, {ml}",
         "{brand} Mineral Sunscreen SPF {spf}, {ml}"),
        {"brand": ("Lumiere", "Dermalyn", "Purely", "Glowday", "Skinfolk"),
         "skin": ("Oil-Free", "Hydrating", "Night Repair"), "ml": ("30 ml", "50 ml", "100 ml"),
         "spf": ("30", "50")},
        ("Dermatologist-tested {brand} skin care.", "{brand}: gentle on skin, fragrance free."),
        share=0.9, appeal=0.9, interval=45,
    ),
    # -------------------------------------------------------------- Sports & Outdoors
    Leaf(
        SP, "Yoga & Fitness", REGULAR,
        ("{brand} Non-Slip Yoga Mat {mm}, {colour}", "{brand} Cork Yoga Blocks, 2-Pack",
         "{brand} Resistance Bands Set, {level}", "{brand} Adjustable Dumbbells, {lb}",
         "{brand} High-Density Foam Roller {inch}, {colour}"),
        {"brand": ("Zenflow", "Corefit", "Stridewell", "Ironpeak", "Flexline"),
         "mm": ("4 mm", "6 mm"),
         "colour": ("Purple", "Teal", "Black", "Coral"), "level": ("Light", "Medium", "Heavy"),
         "lb": ("25 lb", "50 lb"), "inch": ("12-inch", "18-inch")},
        ("Train at home with {brand}.", "{brand} gear for strength, balance and recovery."),
        share=1.0, appeal=1.0, complements=("Running Shoes",),
    ),
    Leaf(
        SP, "Camping", REGULAR,
        ("{brand} {person}-Person Dome Tent, {colour}",
         "{brand} Mummy Sleeping Bag {temp}, {colour}",
         "{brand} Self-Inflating Sleeping Pad, {colour}",
         "{brand} Rechargeable Camping Headlamp, {lumen}",
         "{brand} Collapsible Camp Stove, {fuel}"),
        {"brand": ("Trailhead", "Summit Gear", "Northpine", "Basecamp"),
         "person": ("2", "4", "6"), "colour": EARTH, "temp": ("-5 C", "5 C"),
         "lumen": ("300 Lumens", "600 Lumens"), "fuel": ("Gas", "Wood")},
        ("Weekend-ready {brand} camping gear.", "Tested in the backcountry by {brand}."),
        share=1.0, appeal=0.8,
    ),
    Leaf(
        SP, "Cycling", REGULAR,
        ("{brand} Road Bike Helmet, {size}, {colour}",
         "{brand} Rechargeable Bike Light Set, {lumen}", "{brand} Padded Cycling Shorts, {size}",
         "{brand} Mini Floor Pump with Gauge, {colour}", "{brand} Heavy-Duty U-Lock with Cable"),
        {"brand": ("Velocity", "Pedalworks", "Northpine", "Spokeline"), "size": SIZES,
         "colour": ("Black", "White", "Fluorescent Yellow"),
         "lumen": ("400 Lumens", "800 Lumens")},
        ("Ride safer and farther with {brand}.", "{brand} cycling essentials."),
        share=0.7, appeal=0.7,
    ),
    # --------------------------------------------------------------- Clothing & Shoes
    Leaf(
        CL, "Running Shoes", REGULAR,
        ("{brand} {line} Men's Running Shoes, {colour}",
         "{brand} {line} Women's Running Shoes, {colour}"),
        {"brand": ("Stridewell", "Fleetfoot", "Runique"),
         "line": ("Glide 4", "Tempo 2", "Cloudrun", "Trail Pro", "Pace 9"),
         "colour": ("Black/White", "Grey/Lime", "Navy/Orange", "White/Coral", "All Black")},
        ("Cushioned, responsive {brand} running shoes.", "{brand} {line}: light and breathable."),
        share=1.3, appeal=1.1, complements=("Socks",),
    ),
    Leaf(
        CL, "T-Shirts", REGULAR,
        ("{brand} Men's Crew Neck T-Shirt, {fabric}, {colour}",
         "{brand} Women's V-Neck T-Shirt, {fabric}, {colour}"),
        {"brand": ("Basicwear", "Threadly", "Northpine"),
         "fabric": ("Organic Cotton", "Merino Wool", "Performance"), "colour": BASIC},
        ("Soft, everyday {brand} tees.", "{brand} basics that keep their shape."),
        share=1.0, appeal=1.0,
    ),
    Leaf(
        CL, "Jackets", REGULAR,
        ("{brand} Men's Packable Rain Jacket, {colour}",
         "{brand} Women's Insulated Puffer Jacket, {colour}",
         "{brand} Fleece Half-Zip Pullover, {colour}"),
        {"brand": ("Northpine", "Summit Gear", "Threadly", "Stormline"),
         "colour": (*EARTH, "Black", "Navy")},
        ("Stay warm and dry with {brand}.", "{brand} outerwear for changing weather."),
        share=0.8, appeal=0.8,
    ),
    Leaf(
        CL, "Socks", CONSUMABLE,
        ("{brand} Cushioned Ankle Socks, {pack}, {colour}",
         "{brand} Merino Hiking Socks, {pack}, {colour}"),
        {"brand": ("Stridewell", "Basicwear", "Northpine"), "pack": PACKS,
         "colour": ("Black", "White", "Grey", "Assorted")},
        ("Comfortable {brand} socks that last.", "{brand}: cushioned where it counts."),
        share=0.5, appeal=0.6, interval=120,
    ),
    # ------------------------------------------------------------------- Baby & Toys
    Leaf(
        BA, "Diapers", CONSUMABLE,
        ("{brand} Baby Diapers, Size {n}, {count} Count",
         "{brand} Overnight Diapers, Size {n}, {count} Count"),
        {"brand": ("Snugglies", "Little Cloud", "Softbum"), "n": ("1", "2", "3", "4", "5"),
         "count": ("84", "168")},
        ("Soft, leak-proof {brand} diapers.", "{brand}: up to 12 hours of dryness."),
        share=0.6, appeal=1.0, interval=14, complements=("Baby Wipes",),
    ),
    Leaf(
        BA, "Baby Wipes", CONSUMABLE,
        ("{brand} Unscented Baby Wipes, {pack}", "{brand} Sensitive Water Wipes, {pack}",
         "{brand} Flushable Toddler Wipes, {pack}"),
        {"brand": ("Snugglies", "Little Cloud", "Softbum", "Purely"),
         "pack": ("4 Packs of 64", "8 Packs of 64", "12 Packs of 80")},
        ("Gentle {brand} wipes for sensitive skin.", "{brand}: 99% water, no fragrance."),
        share=0.3, appeal=0.7, interval=21, complements=("Diapers",),
    ),
    Leaf(
        BA, "Building Sets", REGULAR,
        ("{brand} {theme} Building Set, {pcs} Pieces",),
        {"brand": ("Brickwise", "Buildo", "Blockcraft", "Tinkerblock"),
         "theme": ("Space Station", "Castle", "City Fire Station", "Pirate Ship",
                   "Dinosaur Park", "Race Car", "Treehouse", "Robot Workshop"),
         "pcs": ("250", "500", "1,200")},
        ("Build the {theme} with {brand}.", "Hours of creative play from {brand}."),
        share=0.7, appeal=0.8, complements=("Puzzles & Games",),
    ),
    Leaf(
        BA, "Puzzles & Games", REGULAR,
        ("{brand} {pcs}-Piece Jigsaw Puzzle, {scene}", "{brand} {game} Family Board Game"),
        {"brand": ("Puzzlewood", "Gamenight", "Brickwise", "Tabletop Co"), "pcs": ("500", "1000"),
         "scene": ("Mountain Lake", "Night Sky", "Coral Reef", "Old Town Market", "Wildflowers",
                   "Lighthouse at Dusk"),
         "game": ("Treasure Isle", "Dragon Race", "Star Trader", "Word Tower", "Castle Quest",
                  "Robot Rally")},
        ("Family fun from {brand}.", "{brand}: for ages 8 and up."),
        share=0.6, appeal=0.7,
    ),
)


def departments(leaves: tuple[Leaf, ...]) -> tuple[str, ...]:
    """The departments of ``leaves``, in the order they first appear (index = department id)."""
    return tuple(dict.fromkeys(leaf.dept for leaf in leaves))


DEPARTMENTS: tuple[str, ...] = departments(LEAVES)


_SYLLABLES_A = (
    "Al", "Bel", "Cor", "Dan", "El", "Fen", "Gal", "Hal", "Ir", "Jun", "Kel", "Lum", "Mar",
    "Nor", "Or", "Pel", "Quin", "Ros", "Sol", "Tor", "Ul", "Val", "Wen", "Xan", "Yar", "Zel",
)
_SYLLABLES_B = ("a", "en", "ix", "o", "ora", "is", "ant", "ex", "io", "um", "ar", "eo")
_SYLLABLES_C = ("", "a", "on", "ia", "us", "ix", "ent", "ara")
# Chinese brand names of 2-3 characters ("澜屿", "砚舟坊"), as many as the Latin ones.
_SYLLABLES_ZH = (
    tuple("澜砚霁岚槿岫汀珂瑾璟溯沐栖翎昀曜渟沅棠筠芮熠朔黛琉堇"),
    tuple("屿岑舟禾川野洲素谷溪弦庭"),
    ("", "坊", "记", "社", "堂", "集", "舍", "家"),
)


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def brand_names(
    n: int, avoid: set[str] | frozenset[str] = frozenset(), chinese: bool = False
) -> list[str]:
    """``n`` invented brand names ("Corix", "Valora", ...; with ``chinese``, "澜屿",
    "砚舟坊", ...), none of them in ``avoid``.

    The same ``n`` always gives the same names, in the same order.
    """
    first, middle, last = (
        _SYLLABLES_ZH if chinese else (_SYLLABLES_A, _SYLLABLES_B, _SYLLABLES_C)
    )
    out: list[str] = []
    for c in last:
        for b in middle:
            for a in first:
                name = a + b + c
                if name not in avoid:
                    out.append(name)
                    if len(out) == n:
                        return out
    raise ValueError(f"brand_names: at most {len(out)} names, asked for {n}")


def widen(leaves: tuple[Leaf, ...], factor: int) -> tuple[Leaf, ...]:
    """The leaves with ``factor`` times as many brands each (a larger catalogue's shelves).

    Every leaf with a ``brand`` axis gets invented brands beside its own (each leaf
    its own run of the invented names), so titles (and device model names) stay
    unique and believable at tens of thousands of items. ``factor`` 1: the leaves
    as they are. Leaves with Chinese brands (:mod:`~recdistill.data.demo.vocabulary_zh`)
    get invented Chinese brands, as many and in the same places as the English
    leaves get Latin ones, so both widen into the same catalogue.
    """
    if factor <= 1:
        return leaves
    taken = {b for leaf in leaves for b in leaf.axes.get("brand", ())}
    chinese = any(_is_chinese(b) for b in taken)
    pool = brand_names(len(_SYLLABLES_A) * len(_SYLLABLES_B) * len(_SYLLABLES_C) - len(taken),
                       taken, chinese)
    out = []
    for i, leaf in enumerate(leaves):
        brands = leaf.axes.get("brand")
        if not brands:
            out.append(leaf)
            continue
        need = len(brands) * (factor - 1)
        start = (i * 53) % len(pool)
        extra = [pool[(start + j) % len(pool)] for j in range(need)]
        out.append(replace(leaf, axes={**leaf.axes, "brand": (*brands, *extra)}))
    return tuple(out)
