"""The subject's rights (GDPR art. 12–22): registerutdrag, rectification, erasure, restriction,
objection, portability — every one of them by walking the data map."""
