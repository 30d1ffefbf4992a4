"""Words and data: catalogues, campaigns and their registry, the calendar, localities."""

from bot.content.campaign import Campaign
from bot.content.catalogue import LANGUAGES, Catalogue, Safe, catalogue
from bot.content.library import ContentError, Library, check_content, load_library
from bot.content.localities import Localities, Locality, fold, localities
from bot.content.registry import Campaigns

__all__ = [
    "LANGUAGES",
    "Campaign",
    "Campaigns",
    "Catalogue",
    "ContentError",
    "Library",
    "Localities",
    "Locality",
    "Safe",
    "catalogue",
    "check_content",
    "fold",
    "load_library",
    "localities",
]
