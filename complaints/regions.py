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
