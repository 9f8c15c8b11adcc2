"""The VOD part: one client for Huawei Cloud VOD (`client`), its errors (`errors`), models
(`models`), signing (`auth`) and the snapshot-URL parse (`snapshot_url`).

Import from the module you need: importing `bot.vod.errors` does not load the client.
"""
