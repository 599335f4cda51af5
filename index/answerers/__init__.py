"""Ways of answering, each a LlamaIndex synthesizer behind one base class (base.CoverageSynthesizer)."""
