"""The live TqSdk account (the trade package's only tqsdk code; tqsdk itself is imported lazily)."""
