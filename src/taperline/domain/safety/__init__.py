"""The safety engine: pure rules over a frozen context, driven by the cited knowledge base."""
