"""Words and data: catalogues, the campaign's kinds and contents, localities."""

from bot.content.campaign import Campaign, campaign
from bot.content.catalogue import LANGUAGES, Catalogue, Safe, catalogue
from bot.content.localities import Localities, Locality, fold, localities

__all__ = [
    "LANGUAGES",
    "Campaign",
    "Catalogue",
    "Localities",
    "Locality",
    "Safe",
    "campaign",
    "catalogue",
    "fold",
    "localities",
]
