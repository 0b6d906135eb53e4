"""Provincial-level divisions of China, for the complainant's and the
respondent's region (which regulator branch or court has jurisdiction)."""

from django.db import models
from django.utils.translation import pgettext_lazy


class Province(models.TextChoices):
    BEIJING = "BJ", pgettext_lazy("province", "Beijing")
    TIANJIN = "TJ", pgettext_lazy("province", "Tianjin")
    HEBEI = "HE", pgettext_lazy("province", "Hebei")
    SHANXI = "SX", pgettext_lazy("province", "Shanxi")
    INNER_MONGOLIA = "NM", pgettext_lazy("province", "Inner Mongolia")
    LIAONING = "LN", pgettext_lazy("province", "Liaoning")
    JILIN = "JL", pgettext_lazy("province", "Jilin")
    HEILONGJIANG = "HL", pgettext_lazy("province", "Heilongjiang")
    SHANGHAI = "SH", pgettext_lazy("province", "Shanghai")
    JIANGSU = "JS", pgettext_lazy("province", "Jiangsu")
    ZHEJIANG = "ZJ", pgettext_lazy("province", "Zhejiang")
    ANHUI = "AH", pgettext_lazy("province", "Anhui")
    FUJIAN = "FJ", pgettext_lazy("province", "Fujian")
    JIANGXI = "JX", pgettext_lazy("province", "Jiangxi")
    SHANDONG = "SD", pgettext_lazy("province", "Shandong")
    HENAN = "HA", pgettext_lazy("province", "Henan")
    HUBEI = "HB", pgettext_lazy("province", "Hubei")
    HUNAN = "HN", pgettext_lazy("province", "Hunan")
    GUANGDONG = "GD", pgettext_lazy("province", "Guangdong")
    GUANGXI = "GX", pgettext_lazy("province", "Guangxi")
    HAINAN = "HI", pgettext_lazy("province", "Hainan")
    CHONGQING = "CQ", pgettext_lazy("province", "Chongqing")
    SICHUAN = "SC", pgettext_lazy("province", "Sichuan")
    GUIZHOU = "GZ", pgettext_lazy("province", "Guizhou")
    YUNNAN = "YN", pgettext_lazy("province", "Yunnan")
    TIBET = "XZ", pgettext_lazy("province", "Tibet")
    SHAANXI = "SN", pgettext_lazy("province", "Shaanxi")
    GANSU = "GS", pgettext_lazy("province", "Gansu")
    QINGHAI = "QH", pgettext_lazy("province", "Qinghai")
    NINGXIA = "NX", pgettext_lazy("province", "Ningxia")
    XINJIANG = "XJ", pgettext_lazy("province", "Xinjiang")
    HONG_KONG = "HK", pgettext_lazy("province", "Hong Kong")
    MACAO = "MO", pgettext_lazy("province", "Macao")
    TAIWAN = "TW", pgettext_lazy("province", "Taiwan")


# Official full names, as letters address a body "of" a region
# (中国人民银行广东省分行, 北京市市场监督管理局).
FULL_NAMES_ZH = {
    "BJ": "北京市",
    "TJ": "天津市",
    "HE": "河北省",
    "SX": "山西省",
    "NM": "内蒙古自治区",
    "LN": "辽宁省",
    "JL": "吉林省",
    "HL": "黑龙江省",
    "SH": "上海市",
    "JS": "江苏省",
    "ZJ": "浙江省",
    "AH": "安徽省",
    "FJ": "福建省",
    "JX": "江西省",
    "SD": "山东省",
    "HA": "河南省",
    "HB": "湖北省",
    "HN": "湖南省",
    "GD": "广东省",
    "GX": "广西壮族自治区",
    "HI": "海南省",
    "CQ": "重庆市",
    "SC": "四川省",
    "GZ": "贵州省",
    "YN": "云南省",
    "XZ": "西藏自治区",
    "SN": "陕西省",
    "GS": "甘肃省",
    "QH": "青海省",
    "NX": "宁夏回族自治区",
    "XJ": "新疆维吾尔自治区",
    "HK": "香港特别行政区",
    "MO": "澳门特别行政区",
    "TW": "台湾省",
}

MUNICIPALITIES = frozenset({"BJ", "TJ", "SH", "CQ"})


def full_name(code: str) -> str:
    """The region's full name in the active language ("" for none)."""
    from django.utils.translation import get_language

    if not code:
        return ""
    if (get_language() or "").startswith("en"):
        return str(Province(code).label)
    return FULL_NAMES_ZH.get(code, "")
