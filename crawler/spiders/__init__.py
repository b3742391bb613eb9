"""The spiders: ``portal`` crawls every portal, parameterised by a site."""
