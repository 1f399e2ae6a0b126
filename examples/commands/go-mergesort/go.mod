module tuner.example/gomergesort

go 1.19
