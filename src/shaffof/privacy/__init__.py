"""Personal data (ZRU-547): the data tracker's access records, consents, field encryption, data-subject rights."""
