"""Labelled pairs of stories of one commune for the duplicate detector (benchmarks/duplicates.py).

A deed is a kind of good act with its own details (who, which hamlet, how many, how much). A
near-duplicate pair is one deed told by two neighbours: sentences reordered, some dropped, words
swapped for synonyms, typos, accents left out, the honoree's name spelled another way
("Nguyễn Văn An", "Nguyen Van An", "ông Út An", "Nguyễn V. An"), a title of their own, the date
remembered a day or two apart. A different pair is two deeds of the same commune: half of them
of the same kind (told from the same phrases, by other people, in other hamlets), some of them by
the same person doing something else, the rest of other kinds.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from bot.duplicates import Telling

__all__ = ["Pair", "pairs", "story_pool"]

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Phan", "Võ", "Đặng", "Bùi",
            "Đỗ", "Hồ", "Ngô", "Dương", "Lý")
MIDDLE = ("Văn", "Thị", "Hữu", "Minh", "Thanh", "Ngọc", "Quốc", "Kim", "Hoàng", "Đức")
GIVEN = ("An", "Bình", "Chi", "Dũng", "Giang", "Hạnh", "Khoa", "Lan", "Mai", "Nam", "Phúc",
         "Sơn", "Tâm", "Thảo", "Tuấn", "Vân", "Hùng", "Hoa", "Lộc", "Nga", "Quang", "Trí")
ADDRESS = ("ông", "bà", "anh", "chị", "cô", "chú", "bác")
HAMLETS = ("Mỹ Thạnh", "Bình Khánh", "Tân Hòa", "Long Hưng", "Phú Lợi", "Hòa Thạnh",
           "Thới An", "Vĩnh Phước", "Mỹ Phú", "An Bình", "Đông Hưng", "Tây Khánh")

# Each kind of deed: titles, then sentences; {name} {hamlet} {n} {money} {thing} are filled.
DEEDS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("Sửa cầu khỉ cho bà con ấp {hamlet}", "Cây cầu mới qua kênh ở ấp {hamlet}",
      "{name} làm lại cầu cho người dân"),
     ("{name} đã tự bỏ ra {money} triệu đồng mua cây và ván để sửa cây cầu khỉ bắc qua"
      " kênh {thing}.",
      "Cây cầu đã mục nát nhiều năm, học sinh đi học rất nguy hiểm.",
      "Sau {n} ngày làm việc, cây cầu mới chắc chắn hơn, có tay vịn hai bên.",
      "Hơn {n}0 hộ dân và các em học sinh ấp {hamlet} nay đi lại an toàn mỗi ngày.")),
    (("Trả lại ví cho người đánh rơi", "Nhặt được của rơi trả người mất ở {hamlet}",
      "Tấm lòng trung thực của {name}"),
     ("{name} nhặt được một chiếc ví trong đó có {money} triệu đồng và giấy tờ tùy thân ở"
      " chợ {thing}.",
      "Không chút do dự, {name} mang chiếc ví đến công an xã nhờ tìm chủ nhân.",
      "Người mất ví là một tiểu thương ở ấp {hamlet}, đã rất xúc động khi nhận lại tài sản.",
      "Việc làm trung thực này được bà con trong ấp khen ngợi suốt {n} ngày.")),
    (("Dạy bơi miễn phí cho trẻ em", "Lớp học bơi hè ở ấp {hamlet}",
      "{name} mở lớp bơi không lấy tiền"),
     ("Suốt mùa hè, {name} mở lớp dạy bơi miễn phí cho {n}0 em nhỏ ở ấp {hamlet}.",
      "Lớp học diễn ra mỗi chiều tại ao {thing}, có phao và áo cứu sinh cho các em.",
      "{name} tự bỏ {money} triệu đồng mua dụng cụ và nước uống cho học trò.",
      "Nhờ vậy các em biết bơi, phòng tránh đuối nước khi mùa nước nổi về.")),
    (("Cứu bé trai bị đuối nước", "Nhảy xuống sông cứu người ở {hamlet}",
      "Hành động dũng cảm của {name}"),
     ("Chiều hôm đó, một bé trai {n} tuổi bị trượt chân rơi xuống sông {thing}.",
      "Nghe tiếng kêu cứu, {name} lập tức nhảy xuống dòng nước chảy xiết để cứu cháu bé.",
      "Cháu bé được đưa lên bờ, sơ cứu kịp thời và đã qua cơn nguy kịch.",
      "Gia đình cháu bé ở ấp {hamlet} vô cùng biết ơn người đã cứu con mình.")),
    (("Hiến đất làm đường nông thôn", "Con đường mới ở ấp {hamlet}",
      "{name} hiến đất mở rộng đường"),
     ("{name} đã tự nguyện hiến {n}00 mét vuông đất để mở rộng con đường liên ấp {hamlet}.",
      "Con đường trước đây nhỏ hẹp, mùa mưa lầy lội, xe cộ không qua được.",
      "Ngoài đất, gia đình còn góp {money} triệu đồng và ngày công cùng bà con đổ bê tông.",
      "Con đường mới dài {n} trăm mét mang tên {thing}, thuận tiện cho việc đi lại và chở"
      " nông sản.")),
    (("Nấu cơm miễn phí cho bệnh nhân nghèo", "Bếp ăn tình thương ở bệnh viện",
      "{name} và những suất cơm không đồng"),
     ("Mỗi sáng, {name} cùng các thành viên bếp ăn {thing} nấu {n}00 suất cơm miễn phí.",
      "Những suất cơm được mang đến bệnh viện tặng bệnh nhân nghèo và người nhà.",
      "Mỗi tháng, {name} vận động được khoảng {money} triệu đồng từ các nhà hảo tâm.",
      "Bếp ăn đã duy trì hơn {n} năm, được bà con ấp {hamlet} góp gạo, góp rau.")),
    (("Dọn rác làm sạch kênh {thing}", "Ngày chủ nhật xanh ở ấp {hamlet}",
      "{name} vận động thanh niên dọn kênh"),
     ("{name} vận động {n}0 đoàn viên thanh niên dọn rác dọc kênh {thing}.",
      "Chỉ trong một buổi sáng, mọi người vớt được hơn {n} tấn rác và lục bình.",
      "{name} còn tự bỏ {money} triệu đồng mua thùng rác đặt dọc bờ kênh ấp {hamlet}.",
      "Dòng kênh nay sạch sẽ, người dân cam kết không xả rác xuống kênh nữa.")),
    (("Xây nhà tình thương cho hộ nghèo", "Căn nhà mới cho gia đình khó khăn ở {hamlet}",
      "{name} góp tiền xóa nhà tạm"),
     ("{name} đã đóng góp {money}0 triệu đồng cùng địa phương xây căn nhà tình thương.",
      "Căn nhà dành cho gia đình bà cụ neo đơn sống trong căn chòi dột nát ở ấp {hamlet}.",
      "Trong {n} tuần, {name} còn trực tiếp cùng thợ làm việc mỗi ngày.",
      "Ngày bàn giao nhà {thing}, bà cụ rơi nước mắt vì mừng.")),
    (("Phát hiện và bắt kẻ trộm xe", "Giúp công an bắt trộm ở {hamlet}",
      "{name} dũng cảm truy đuổi kẻ gian"),
     ("Khoảng {n} giờ sáng, {name} phát hiện một người lạ đang bẻ khóa xe máy ở ấp {hamlet}.",
      "{name} hô hoán mọi người và truy đuổi kẻ gian suốt đoạn đường {thing}.",
      "Kẻ trộm bị khống chế và giao cho công an xã cùng chiếc xe trị giá {money} triệu đồng.",
      "Chủ xe đã đến tận nhà cảm ơn.")),
    (("Tặng học bổng cho học sinh nghèo", "Những suất học bổng ở trường {thing}",
      "{name} tiếp sức đến trường"),
     ("Năm nay {name} trao {n}0 suất học bổng cho học sinh nghèo hiếu học ở ấp {hamlet}.",
      "Mỗi suất gồm tập vở, áo quần và {money} trăm nghìn đồng tiền mặt.",
      "{name} đã làm việc này liên tục {n} năm qua bằng tiền tiết kiệm của gia đình.",
      "Các em hứa sẽ học thật giỏi để không phụ lòng người giúp đỡ.")),
)
THINGS = ("Xáng", "Ranh", "Bờ Bao", "Ông Cả", "Cây Me", "Số Một", "Mương Khai", "Rạch Giá",
          "Cái Sắn", "Thốt Nốt", "Bà Bầu", "Cái Dầu")

SYNONYMS: dict[str, tuple[str, ...]] = {
    "sửa": ("sửa chữa", "làm lại"), "giúp": ("giúp đỡ", "hỗ trợ"), "miễn phí": ("không lấy tiền",
    "không thu tiền"), "bà con": ("người dân", "bà con lối xóm"), "các em": ("các cháu",),
    "học sinh": ("các em học sinh", "học trò"), "tự bỏ": ("tự bỏ tiền túi", "bỏ tiền riêng"),
    "rất": ("vô cùng", "hết sức"), "an toàn": ("yên tâm", "an toàn hơn"),
    "mỗi ngày": ("hằng ngày",),
    "nhặt được": ("lượm được",), "lập tức": ("ngay lập tức", "không ngần ngại"),
    "mang": ("đem",), "khen ngợi": ("tuyên dương", "cảm phục"), "vận động": ("kêu gọi",),
    "đóng góp": ("ủng hộ",), "trao": ("tặng",), "nghèo": ("khó khăn", "có hoàn cảnh khó khăn"),
    "xúc động": ("cảm động",), "mới": ("mới làm",), "cháu bé": ("em nhỏ",),
}


@dataclass(frozen=True, slots=True)
class Pair:
    """Two stories of one commune, and whether they tell the same deed."""

    first: Telling
    second: Telling
    same: bool


@dataclass(frozen=True, slots=True)
class Deed:
    """One act: its kind and details."""

    kind: int
    name: str
    hamlet: str
    n: int
    money: int
    thing: str
    day: date


def _person(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _deed(rng: random.Random, kind: int | None = None, name: str | None = None,
          around: date | None = None) -> Deed:
    start = around or date(2025, 6, 1) + timedelta(days=rng.randrange(60))
    return Deed(rng.randrange(len(DEEDS)) if kind is None else kind, name or _person(rng),
                rng.choice(HAMLETS), rng.randrange(2, 10), rng.randrange(2, 60),
                rng.choice(THINGS), start + timedelta(days=rng.randrange(-3, 4) if around else 0))


def _no_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def _typos(rng: random.Random, text: str, count: int) -> str:
    chars = list(text)
    for _ in range(count):
        i = rng.randrange(1, max(2, len(chars) - 1))
        if chars[i].isalpha():
            swapped = chars[i : i + 2][::-1]
            chars[i : i + 2] = swapped if rng.random() < 0.5 else chars[i + 1 : i + 2]
    return "".join(chars)


def _spelling(rng: random.Random, name: str) -> str:
    surname, middle, given = name.split()
    return rng.choice((
        name, _no_accents(name), f"{rng.choice(ADDRESS)} {name}", f"{surname} {middle[0]}. {given}",
        f"{rng.choice(ADDRESS)} {given}", f"{rng.choice(ADDRESS)} Út {given}", name.upper(),
        f"{surname} {given}",
    ))


def _tell(rng: random.Random, deed: Deed, retold: bool, shown_name: str | None = None) -> Telling:
    titles, sentences = DEEDS[deed.kind]
    name = shown_name or deed.name
    values = {"name": name, "hamlet": deed.hamlet, "n": deed.n, "money": deed.money,
              "thing": deed.thing}
    lines = [s.format(**values) for s in sentences]
    if retold:
        rng.shuffle(lines)
        if len(lines) > 3 and rng.random() < 0.4:
            lines.pop(rng.randrange(len(lines)))
    text = " ".join(lines)
    if retold:
        for word, others in SYNONYMS.items():
            if word in text and rng.random() < 0.6:
                text = text.replace(word, rng.choice(others), 1)
        text = _typos(rng, text, rng.randrange(0, 6))
        if rng.random() < 0.3:
            text = _no_accents(text)
    title = rng.choice(titles).format(**values)
    return Telling(0, name, title, text, deed.day)


def _numbered(telling: Telling, story_id: int) -> Telling:
    return Telling(story_id, telling.honoree, telling.title, telling.description,
                   telling.event_date)


def pairs(count: int, seed: int) -> list[Pair]:
    """`count` pairs, half near-duplicates, half different deeds, shuffled."""
    rng = random.Random(seed)
    out: list[Pair] = []
    for i in range(count):
        deed = _deed(rng)
        first = _tell(rng, deed, retold=False)
        if i % 2 == 0:
            shown = _spelling(rng, deed.name)
            remembered = deed
            if rng.random() < 0.3:  # a neighbour remembers one number differently
                remembered = Deed(deed.kind, deed.name, deed.hamlet, deed.n + 1, deed.money,
                                  deed.thing, deed.day)
            second = _tell(rng, remembered, retold=True, shown_name=shown)
            moved = deed.day + timedelta(days=rng.choice((0, 0, 0, -1, 1, 2)))
            second = Telling(0, second.honoree, second.title, second.description, moved)
            out.append(Pair(_numbered(first, 2 * i + 1), _numbered(second, 2 * i + 2), True))
            continue
        roll = rng.random()
        if roll < 0.5:  # the same kind of deed, by someone else, elsewhere in the commune
            other = _deed(rng, kind=deed.kind, around=deed.day if rng.random() < 0.5 else None)
        elif roll < 0.7:  # the same person, another deed
            kinds = [k for k in range(len(DEEDS)) if k != deed.kind]
            other = _deed(rng, kind=rng.choice(kinds), name=deed.name)
        else:
            other = _deed(rng)
        second = _tell(rng, other, retold=rng.random() < 0.5)
        out.append(Pair(_numbered(first, 2 * i + 1), _numbered(second, 2 * i + 2), False))
    rng.shuffle(out)
    return out


def story_pool(count: int, seed: int) -> list[Telling]:
    """`count` different stories of one commune (a busy commune's sixty days)."""
    rng = random.Random(seed)
    return [_numbered(_tell(rng, _deed(rng), retold=rng.random() < 0.5), i + 1)
            for i in range(count)]
