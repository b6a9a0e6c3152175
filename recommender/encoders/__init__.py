"""Item and graph encoders the multimodal recommender fuses: audio, video, text, graph."""
