package dev.squeeze.train;

import dev.squeeze.data.Datasets;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Split;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;

/**
 * The data → model → train pipeline every notebook, CLI command and benchmark starts with: load the
 * recipe's data (seeded, stratified subsets), build the zoo model, train it. One seed drives the
 * subsets, the initialisation, the shuffles and the augmentation.
 *
 * @param network the trained network (close it when done)
 * @param result the training history and final test evaluation
 * @param train the training images actually used
 * @param test the test images actually used
 */
public record Experiment(Recipe recipe, long seed, Network network, TrainResult result, ImageSet train, ImageSet test)
        implements AutoCloseable {

    /** Loads the recipe's data from the data home (see {@link Datasets}). */
    public static ImageSet[] data(Recipe recipe, long seed) {
        ImageSet train = Datasets.load(recipe.dataset(), Split.TRAIN);
        ImageSet test = Datasets.load(recipe.dataset(), Split.TEST);
        // Different derived seeds: the test subset must not depend on how many training images were drawn.
        train = train.subset(recipe.trainLimit(), seed, true);
        test = test.subset(recipe.testLimit(), seed + 1, true);
        return new ImageSet[] {train, test};
    }

    public static Experiment run(Recipe recipe, long seed) {
        return run(recipe, seed, Progress.console());
    }

    public static Experiment run(Recipe recipe, long seed, Progress progress) {
        ImageSet[] d = data(recipe, seed);
        return run(recipe, seed, d[0], d[1], progress);
    }

    public static Experiment run(Recipe recipe, long seed, ImageSet train, ImageSet test, Progress progress) {
        Architecture arch = Zoo.get(recipe.model(), new int[] {train.channels(), train.height(), train.width()}, train.numClasses());
        Network net = Network.create(arch, seed);
        try {
            TrainResult r = Training.fit(net, train, test, recipe.trainConfig(seed).optProgress(progress).build());
            net.provenance().put("dataset", recipe.dataset());
            net.provenance().put("budget", recipe.budget().id());
            // How many images the run's figures came from: eval compares its own count with these.
            net.provenance().put("train_images", Integer.toString(train.size()));
            net.provenance().put("test_images", Integer.toString(test.size()));
            return new Experiment(recipe, seed, net, r, train, test);
        } catch (RuntimeException e) {
            net.close();
            throw e;
        }
    }

    @Override public void close() { network.close(); }
}
