"""Non-CNN gaze estimators (random forest, kNN) behind the same interface as the CNN."""
